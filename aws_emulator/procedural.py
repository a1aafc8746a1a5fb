"""Procedural estates: millions of findings or events computed from their index, never stored.

A bench (bench/ingest.py) or a test attaches one to a service state of the world
(`world.guardduty(a, r).procedural(n)`, `world.cloudtrail(a, r).procedural(n)`): the handlers then
answer ListFindings / GetFindings / LookupEvents from it, with the same paging, validation and wire
format as for stored data. Item `i` is a pure function of (account, region, seed, i): the same
estate every run, nothing on disk, and memory that does not grow with `n`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, overload

from .services._common import iso_ms

__all__ = ["IndexedIds", "ProceduralEvents", "ProceduralFindings"]

# GuardDuty severity bands (Critical 9.0-10.0, High 7.0-8.9, Medium 4.0-6.9, Low 1.0-3.9) and the
# share of each in the estate: most findings are medium or low, as in a real organisation.
_BANDS = ((9.0, 1.0, 5), (7.0, 1.9, 20), (4.0, 2.9, 45), (1.0, 2.9, 30))
_BAND_OF = [band for band, (_low, _width, share) in enumerate(_BANDS) for _ in range(share)]
ARCHIVED_EVERY = 9  # one finding in 9 is archived (index % 9 == 4)
_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")  # RFC 5737 documentation blocks


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).digest()


class IndexedIds(Sequence[str]):
    """The ids of the indices `first + k * step` (k < count), computed when read: a page of a
    ListFindings over a million findings costs a page, not a million ids."""

    def __init__(self, name: Callable[[int], str], first: int, count: int, step: int = 1) -> None:
        self.name, self.first, self.count, self.step = name, first, max(0, count), step

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(self.count))]
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self.name(self.first + index * self.step)


class ProceduralFindings:
    """`n` GuardDuty findings of one account and region, finding `i` computed from `i`.

    Ordered by (UpdatedAt, Id) = by index: finding `i` was updated at `start + i * step`. Types,
    resources and actions come from the emulator's recorded GetFindings samples; severities spread
    over the four bands; Service.Count from 1 to 500; every ARCHIVED_EVERY-th is archived.
    `select` answers the criteria the collector sends (updatedAt ranges, service.archived) without
    building the findings; anything else returns None (the caller then falls back to the list).
    """

    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        detector_id: str,
        n: int,
        end: datetime,
        span: timedelta = timedelta(days=60),
        seed: str = "watchpost",
    ) -> None:
        self.account_id, self.region, self.detector_id, self.n = account_id, region, detector_id, n
        self.seed = seed
        self.step_ms = max(1, int(span.total_seconds() * 1000) // max(n, 1))
        end_ms = int(end.timestamp() * 1000)
        self.start_ms = end_ms - self.step_ms * n
        self.prefix = hashlib.blake2b(f"{seed}|{account_id}|{region}".encode(), digest_size=4)
        self.tag = self.prefix.hexdigest()  # 8 hex characters naming this estate

    # -- ids -------------------------------------------------------------------------------
    def finding_id(self, i: int) -> str:
        """32 lower-case hex characters, like GuardDuty's: the estate, the index, a checksum."""
        check = _digest(self.tag, i).hex()[:16]
        return f"{self.tag}{i:08x}{check}"

    def index_of(self, finding_id: str) -> int | None:
        """The index of an id of this estate, or None (another estate's, or made up)."""
        if len(finding_id) != 32 or not finding_id.startswith(self.tag):
            return None
        try:
            i = int(finding_id[8:16], 16)
        except ValueError:
            return None
        return i if i < self.n and finding_id == self.finding_id(i) else None

    def updated_ms(self, i: int) -> int:
        return self.start_ms + (i + 1) * self.step_ms

    @staticmethod
    def archived(i: int) -> bool:
        return i % ARCHIVED_EVERY == 4

    # -- ListFindings ----------------------------------------------------------------------
    def select(
        self, criterion: dict[str, Any], sort: dict[str, Any] | None
    ) -> Sequence[str] | None:
        """The ids matching a FindingCriteria's Criterion in (UpdatedAt, Id) order, or None when
        it asks for something this estate does not compute (then the caller builds the list)."""
        if sort:
            return None
        first = 0
        archived: bool | None = None
        for field, condition in criterion.items():
            if field == "updatedAt":
                bound = self._first_updated(condition)
                if bound is None:
                    return None
                first = max(first, bound)
            elif field == "service.archived" and set(condition) == {"Equals"}:
                values = set(condition["Equals"])
                if values == {"true", "false"}:
                    continue
                if values not in ({"true"}, {"false"}):
                    return None
                archived = values == {"true"}
            else:
                return None
        if archived is None:
            return IndexedIds(self.finding_id, first, self.n - first)
        if archived:
            start = first + (4 - first) % ARCHIVED_EVERY
            count = 0 if start >= self.n else (self.n - 1 - start) // ARCHIVED_EVERY + 1
            return IndexedIds(self.finding_id, start, count, ARCHIVED_EVERY)
        kept = [i for i in range(first, self.n) if not self.archived(i)]  # rare: small ranges
        return [self.finding_id(i) for i in kept]

    def _first_updated(self, condition: dict[str, Any]) -> int | None:
        first = 0
        for op, value in condition.items():
            if op in ("GreaterThanOrEqual", "Gte"):
                bound = int(value)
            elif op in ("GreaterThan", "Gt"):
                bound = int(value) + 1
            else:
                return None
            # the first index whose UpdatedAt (start + (i + 1) * step) is at or after `bound`
            i = -(-(bound - self.start_ms) // self.step_ms) - 1
            first = max(first, min(self.n, max(0, i)))
        return first

    # -- GetFindings -----------------------------------------------------------------------
    @cached_property
    def _templates(self) -> list[str]:
        from .seed.templates import load

        found = []
        for template in load("guardduty_get_findings.json")["Findings"]:
            for key in ("Id", "Arn", "AccountId", "Region"):
                template.pop(key, None)
            template["Service"]["DetectorId"] = self.detector_id
            found.append(json.dumps(template))
        return found

    def finding(self, finding_id: str) -> dict[str, Any] | None:
        """The finding of `finding_id` in boto3's shape, or None if the estate has no such id."""
        i = self.index_of(finding_id)
        return None if i is None else self.build(i)

    def build(self, i: int) -> dict[str, Any]:
        """Finding `i`: a recorded sample's shape with this index's id, times, severity, count,
        archived flag and remote address."""
        h = _digest(self.seed, self.account_id, self.region, i)
        templates = self._templates
        data = json.loads(templates[h[0] % len(templates)])
        finding_id = self.finding_id(i)
        updated = datetime.fromtimestamp(self.updated_ms(i) / 1000, tz=UTC)
        created = updated - timedelta(minutes=h[1] * 30)
        low, width, _share = _BANDS[_BAND_OF[h[2] % 100]]
        data.update(
            Id=finding_id,
            AccountId=self.account_id,
            Region=self.region,
            Arn=f"arn:aws:guardduty:{self.region}:{self.account_id}:detector/"
            f"{self.detector_id}/finding/{finding_id}",
            CreatedAt=iso_ms(created),
            UpdatedAt=iso_ms(updated),
            Severity=round(low + width * h[3] / 255, 1),
        )
        service = data["Service"]
        service.update(
            Archived=self.archived(i),
            Count=1 + int.from_bytes(h[4:6]) % 500,
            EventFirstSeen=data["CreatedAt"],
            EventLastSeen=data["UpdatedAt"],
        )
        _set_remote_ip(service.get("Action") or {}, f"{_NETS[h[6] % 3]}{1 + h[7] % 254}")
        instance = (data.get("Resource") or {}).get("InstanceDetails")
        if instance:
            instance["InstanceId"] = f"i-{h[8:16].hex()[:17]}"
        return data


def _set_remote_ip(action: dict[str, Any], ip: str) -> None:
    for detail in action.values():
        if not isinstance(detail, dict):
            continue
        for remote in [detail.get("RemoteIpDetails")] + [
            p.get("RemoteIpDetails") for p in detail.get("PortProbeDetails") or []
        ]:
            if isinstance(remote, dict) and "IpAddressV4" in remote:
                remote["IpAddressV4"] = ip


# CloudTrail: who acts, and what they call (read, sensitive read, write, high-risk, failures).
_PEOPLE = (  # (identity type, name, the calls (indices of _CALLS) this principal makes)
    ("IAMUser", "alice", (0, 1, 2, 3, 4, 5, 6, 7)),
    ("IAMUser", "bob", (0, 1, 2)),
    ("AssumedRole", "deploy", (0, 4)),
    ("AssumedRole", "ci-runner", (0, 1)),
    ("IAMUser", "auditor", (3,)),
    ("AWSService", "config.amazonaws.com", (0, 1)),
    ("Root", "root", (0,)),
    ("AssumedRole", "readonly", (1,)),
)
_CALLS = (
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("iam.amazonaws.com", "ListUsers", True),
    ("secretsmanager.amazonaws.com", "GetSecretValue", True),
    ("ec2.amazonaws.com", "RunInstances", False),
    ("iam.amazonaws.com", "CreateAccessKey", False),
    ("iam.amazonaws.com", "AttachUserPolicy", False),
    ("cloudtrail.amazonaws.com", "StopLogging", False),
)


class ProceduralEvents:
    """`n` CloudTrail management events of one account and region, event `i` computed from `i`.

    Spread evenly over `span` before `end`, newest first in LookupEvents; eight principals (users,
    roles, the root user, an AWS service), each with its own habits (only reads, sensitive reads,
    writes, high-risk calls...), so their tiers differ; one call in 40 is refused. Answers LookupEvents without lookup attributes; None otherwise.
    """

    def __init__(
        self,
        *,
        account_id: str,
        region: str,
        n: int,
        end: datetime,
        span: timedelta = timedelta(days=60),
        seed: str = "watchpost",
    ) -> None:
        self.account_id, self.region, self.n, self.seed = account_id, region, n, seed
        self.step_ms = max(1, int(span.total_seconds() * 1000) // max(n, 1))
        self.end_ms = int(end.timestamp() * 1000)

    def time_ms(self, i: int) -> int:
        """Event `i` happened at end - i * step (index 0 is the newest)."""
        return self.end_ms - i * self.step_ms

    def select(self, start: datetime, end: datetime) -> Sequence[int]:
        """The indices of the events within start..end (inclusive), newest first."""
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
        first = max(0, -(-(self.end_ms - end_ms) // self.step_ms))
        last = min(self.n - 1, (self.end_ms - start_ms) // self.step_ms)
        return range(first, last + 1) if last >= first else range(0)

    def build(self, i: int) -> dict[str, Any]:
        """Event `i` in boto3's LookupEvents shape, its CloudTrailEvent JSON included."""
        h = _digest(self.seed, self.account_id, self.region, "ct", i)
        kind, name, calls = _PEOPLE[h[0] % len(_PEOPLE)]
        source, event, read_only = _CALLS[calls[h[1] % len(calls)]]
        moment = datetime.fromtimestamp(self.time_ms(i) / 1000, tz=UTC)
        event_id = str(_uuid(h))
        identity = self._identity(kind, name)
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": source,
            "eventName": event,
            "awsRegion": self.region,
            "sourceIPAddress": f"{_NETS[h[3] % 3]}{1 + h[4] % 254}",
            "userAgent": "aws-cli/2.15.30 Python/3.11.8",
            "requestParameters": None,
            "responseElements": None,
            "requestID": str(_uuid(h[::-1])),
            "eventID": event_id,
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
        }
        if h[5] % 40 == 0:
            record["errorCode"] = "AccessDenied"
            record["errorMessage"] = "User is not authorized to perform this operation"
        item: dict[str, Any] = {
            "EventId": event_id,
            "EventName": event,
            "ReadOnly": "true" if read_only else "false",
            "EventTime": moment,
            "EventSource": source,
            "Resources": [],
            "CloudTrailEvent": json.dumps(record),
        }
        if identity.get("userName"):
            item["Username"] = identity["userName"]
        return item

    def _identity(self, kind: str, name: str) -> dict[str, Any]:
        account = self.account_id
        if kind == "AWSService":
            return {"type": "AWSService", "invokedBy": name}
        if kind == "Root":
            return {
                "type": "Root",
                "principalId": account,
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
            }
        if kind == "IAMUser":
            return {
                "type": "IAMUser",
                "principalId": "AIDA" + hashlib.md5(name.encode()).hexdigest()[:16].upper(),  # noqa: S324
                "arn": f"arn:aws:iam::{account}:user/{name}",
                "accountId": account,
                "userName": name,
            }
        role_id = "AROA" + hashlib.md5(name.encode()).hexdigest()[:16].upper()  # noqa: S324
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{name}-session",
            "arn": f"arn:aws:sts::{account}:assumed-role/{name}/{name}-session",
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{account}:role/{name}",
                    "accountId": account,
                    "userName": name,
                }
            },
        }


def _uuid(h: bytes) -> str:
    import uuid

    return str(uuid.UUID(bytes=bytes(h[:16])))
