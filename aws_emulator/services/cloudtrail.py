"""CloudTrail LookupEvents: 90 days of management events, 50 a page, 2 calls a second.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..procedural import ProceduralEvents
from ..registry import RequestContext, invalid_token, operation
from ..validation import to_datetime
from ._common import clone

if TYPE_CHECKING:
    from ..world import World

# "The default number of results returned is 50, with a maximum of 50 possible." (model docs)
PAGE = 50
# "You can look up events that occurred in a Region within the last 90 days." (model docs)
HISTORY = timedelta(days=90)
# "The rate of lookup requests is limited to two per second, per account, per Region."
RATE_PER_SECOND = 2
_ATTRIBUTES = {
    "EventId": "EventId",
    "EventName": "EventName",
    "ReadOnly": "ReadOnly",
    "Username": "Username",
    "EventSource": "EventSource",
    "AccessKeyId": "AccessKeyId",
}


class CloudTrailState:
    """One account and region: its event history and the times of recent LookupEvents calls."""

    def __init__(self, world: World, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        self.events: list[dict[str, Any]] = []
        self.recent_calls: deque[datetime] = deque()
        self.generated: ProceduralEvents | None = None

    def procedural(self, n: int, *, seed: str = "watchpost", **kwargs: Any) -> ProceduralEvents:
        """Serve `n` events computed from their index (aws_emulator.procedural) instead of the
        stored ones: a bench's million events without a million dicts in memory."""
        self.generated = ProceduralEvents(
            account_id=self.account_id,
            region=self.region,
            n=n,
            end=kwargs.pop("end", None) or self.world.clock(),
            seed=seed,
            **kwargs,
        )
        return self.generated

    def add_event(self, event: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Store an event in boto3 shape; builds CloudTrailEvent JSON from `fields` if absent.

        Helper keys (not boto3 members): user_identity (dict), source_ip, user_agent,
        error_code, error_message, request_parameters, event_type, read_only (bool).
        """
        data = clone(event or {})
        extra = {k: fields.pop(k) for k in list(fields) if k[:1].islower()}
        data.update(fields)
        data.setdefault("EventId", str(uuid.uuid4()))
        data.setdefault("EventTime", self.world.clock())
        data.setdefault("EventName", "DescribeInstances")
        data.setdefault("EventSource", "ec2.amazonaws.com")
        read_only = extra.get(
            "read_only", data["EventName"].startswith(("Describe", "Get", "List"))
        )
        data.setdefault("ReadOnly", "true" if read_only else "false")
        data.setdefault("Resources", [])
        identity = extra.get("user_identity") or {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEUSER00001",
            "arn": f"arn:aws:iam::{self.account_id}:user/{data.get('Username', 'alice')}",
            "accountId": self.account_id,
            "userName": data.get("Username", "alice"),
        }
        if "Username" not in data and identity.get("userName"):
            data["Username"] = identity["userName"]
        if "CloudTrailEvent" not in data:
            data["CloudTrailEvent"] = json.dumps(self._record(data, identity, extra, read_only))
        self.events.append(data)
        return clone(data)

    def _record(
        self, data: dict[str, Any], identity: dict[str, Any], extra: dict[str, Any], read_only: bool
    ) -> dict[str, Any]:
        moment = to_datetime(data["EventTime"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": moment,
            "eventSource": data["EventSource"],
            "eventName": data["EventName"],
            "awsRegion": self.region,
            "sourceIPAddress": extra.get("source_ip", "203.0.113.10"),
            "userAgent": extra.get("user_agent", "aws-cli/2.15.30"),
            "requestParameters": extra.get("request_parameters"),
            "responseElements": None,
            "requestID": str(uuid.uuid4()),
            "eventID": data["EventId"],
            "readOnly": read_only,
            "eventType": extra.get("event_type", "AwsApiCall"),
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
        }
        if extra.get("error_code"):
            record["errorCode"] = extra["error_code"]
            record["errorMessage"] = extra.get("error_message", "Access denied")
        return record


def _throttle(state: CloudTrailState, now: datetime) -> None:
    while state.recent_calls and state.recent_calls[0] <= now - timedelta(seconds=1):
        state.recent_calls.popleft()
    if len(state.recent_calls) >= RATE_PER_SECOND:
        raise AwsError("ThrottlingException", "Rate exceeded", 400)
    state.recent_calls.append(now)


def _window(context: RequestContext, params: dict[str, Any]) -> tuple[datetime, datetime]:
    end = params.get("EndTime", context.now)
    start = params.get("StartTime", context.now - HISTORY)
    if start > end:
        raise AwsError("InvalidTimeRangeException", "Start time must be before the end time.", 400)
    return max(start, context.now - HISTORY), end


@operation("cloudtrail", "LookupEvents")
def lookup_events(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Events newest first within StartTime..EndTime (both inclusive) and the last 90 days."""
    state = context.world.cloudtrail(context.account_id, context.region)
    _throttle(state, context.now)
    start, end = _window(context, params)
    attributes = params.get("LookupAttributes", [])
    if len(attributes) > 1:
        raise AwsError(
            "InvalidLookupAttributesException", "You can only specify one lookup attribute.", 400
        )
    if state.generated is not None and not attributes:
        return _generated_page(context, state.generated, params, start, end)
    selected = [e for e in state.events if start <= to_datetime(e["EventTime"]) <= end]
    for attribute in attributes:
        key, value = attribute["AttributeKey"], attribute["AttributeValue"]
        if key in ("ResourceType", "ResourceName"):
            selected = [
                e for e in selected if any(r.get(key) == value for r in e.get("Resources", []))
            ]
        else:
            selected = [e for e in selected if e.get(_ATTRIBUTES[key]) == value]
    selected.sort(key=lambda e: (to_datetime(e["EventTime"]), e["EventId"]), reverse=True)
    chunk, token = page(
        selected,
        size=params.get("MaxResults", PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("cloudtrail"),
    )
    return {"Events": clone(chunk), **({"NextToken": token} if token else {})}


class _Built(Sequence[dict[str, Any]]):
    """The events of some indices of a procedural estate, built when a page reads them."""

    def __init__(self, estate: ProceduralEvents, indices: Sequence[int]) -> None:
        self.estate, self.indices = estate, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.estate.build(i) for i in self.indices[index]]
        return self.estate.build(self.indices[index])


def _generated_page(
    context: RequestContext,
    estate: ProceduralEvents,
    params: dict[str, Any],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    chunk, token = page(
        _Built(estate, estate.select(start, end)),
        size=params.get("MaxResults", PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("cloudtrail"),
    )
    return {"Events": chunk, **({"NextToken": token} if token else {})}
