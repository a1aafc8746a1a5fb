"""What a collector hands the services: one plain, typed record per finding, whatever the source.

No Django here: collectors build these from AWS's payloads without touching the database or settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import orjson

_PLAIN = frozenset({str, int, float, bool, type(None)})


def json_safe(value: Any) -> Any:
    """boto3's parsed payload as JSON can hold it: its timestamps (datetime) become ISO 8601 text
    with their zone; everything else is kept as it came."""
    if type(value) in _PLAIN:  # most of a payload: answered without the checks below
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


@dataclass(frozen=True)
class VulnerabilityRecord:
    """What Inspector says of a vulnerability beyond the shared fields (stored one-to-one beside
    the finding, so Finding stays the fields every source shares).

    `exploit_available` is AWS's YES / NO as a boolean (None: AWS did not say); `fix_available`
    its YES / NO / PARTIAL lower-cased ("" when AWS did not say).
    `packages` holds every vulnerable package; the first is also in the package_* fields.
    """

    cve_id: str = ""
    cvss_score: float | None = None
    cvss_version: str = ""
    cvss_vector: str = ""
    epss_score: float | None = None
    exploit_available: bool | None = None
    fix_available: str = ""
    package_name: str = ""
    package_version: str = ""
    fixed_in_version: str = ""
    package_manager: str = ""
    packages: tuple[dict[str, str], ...] = ()
    resource_name: str = ""
    resource_tags: dict[str, str] = field(default_factory=dict)
    remediation: str = ""
    source_url: str = ""


def vulnerability_fields(vulnerability: VulnerabilityRecord) -> dict[str, Any]:
    """The record's fields as a new dict, its values shared, not copied (dataclasses.asdict
    deep-copies every package dict: a third of the time of storing an Inspector finding)."""
    return {name: getattr(vulnerability, name) for name in _VULNERABILITY_FIELDS}


def aws_time(value: Any) -> datetime | None:
    """A time from a payload as an aware datetime: boto3 gives datetimes for `timestamp` members
    and ISO strings where the model says string (GuardDuty's, some nested macie2 times); None for
    anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FindingRecord:
    """One finding as AWS described it, in our words; `raw` is the payload exactly as AWS gave it.

    The band and category are not here: findings.services derives them, in one place.
    """

    source: str
    source_id: str
    account_id: str
    region: str
    type: str
    title: str
    description: str
    severity_score: float | None
    native_severity: str
    aws_state: str
    service_count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    aws_created_at: datetime | None = None
    aws_updated_at: datetime | None = None
    resource_type: str = ""
    resource_id: str = ""
    action_type: str = ""
    remote_ip: str = ""
    port: int | None = None
    domain: str = ""
    country: str = ""
    country_code: str = ""
    organisation: str = ""
    asn: str = ""
    threat_list_name: str = ""
    bucket: str = ""
    object_key: str = ""
    sensitive_data: dict[str, int] = field(default_factory=dict)
    public_access: bool | None = None
    identity_type: str = ""
    vulnerability: VulnerabilityRecord | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def content_hash(self) -> str:
        """SHA-256 of everything in the record: equal hashes mean nothing to write."""
        return self.hash_and_payload()[0]

    def hash_and_payload(self) -> tuple[str, str]:
        """The content hash and the payload as JSON text, from one serialisation of the payload.

        The hash is SHA-256 of the whole record as canonical JSON (keys sorted, compact, the
        `vulnerability` member only when there is one, so other sources' hashes never moved); the
        payload text is the `raw` part of that JSON, ready for the database's JSON column.
        """
        data = {name: getattr(self, name) for name in _RECORD_FIELDS}
        vulnerability = data.pop("vulnerability")
        if vulnerability is not None:
            data["vulnerability"] = vulnerability_fields(vulnerability)
        del data["raw"]
        payload = _canonical_payload(self.raw)
        head = _canonical_payload(data)
        # "raw" sorts just before "region", which every record has: splice the payload there. A
        # string value cannot hold this marker unescaped (JSON escapes its quotes).
        at = head.index(',"region":')
        canonical = f'{head[:at]},"raw":{payload}{head[at:]}'
        digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
        return digest, payload


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def _canonical_payload(value: Any) -> str:
    """_canonical of a JSON-safe payload, by orjson (several times faster on a big payload).

    Byte for byte the same for what AWS sends; orjson differs only on floats written with an
    exponent (1e-05, 1e+16), NaN and integers beyond 64 bits, where it would give a new hash
    (once) but never a wrong payload. What orjson refuses (lone surrogates) goes to json.
    """
    try:
        option = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
        return orjson.dumps(value, option=option, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return _canonical(value)


_RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FindingRecord))
_VULNERABILITY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(VulnerabilityRecord))
