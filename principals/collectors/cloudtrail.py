"""CloudTrail event history: LookupEvents over a time range, as plain records; pure AWS talk.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
Management events of the last 90 days, newest first, at most 50 a page, two requests a second per
account and region (the shared limiter of accounts.ratelimit holds every call to that, retries
included). Raises accounts.aws exceptions; no database, no settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounts.aws import AwsClient

__all__ = ["PAGE_SIZE", "Identity", "TrailEvent", "events_since", "trail_event"]

from principals.sources.cloudtrail import SOURCE

# Declared with the source (principals/sources/cloudtrail.py).
PAGE_SIZE = SOURCE.page_sizes["LookupEvents"]


@dataclass(frozen=True)
class Identity:
    """CloudTrail's userIdentity, the members we use.

    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    """

    type: str
    arn: str = ""
    principal_id: str = ""
    account_id: str = ""
    user_name: str = ""
    invoked_by: str = ""
    access_key_id: str = ""
    issuer_type: str = ""
    issuer_arn: str = ""
    issuer_name: str = ""
    issuer_principal_id: str = ""
    on_behalf_of: str = ""


@dataclass(frozen=True)
class TrailEvent:
    """One management event as LookupEvents returns it, with its CloudTrailEvent record parsed."""

    event_id: str
    event_time: datetime
    event_name: str
    event_source: str
    region: str
    identity: Identity | None
    read_only: bool | None
    event_type: str = ""
    error_code: str = ""
    error_message: str = ""
    source_ip: str = ""
    user_agent: str = ""

    @property
    def failed(self) -> bool:
        """AWS refused it (an errorCode), or a console sign-in that failed."""
        return bool(self.error_code)


def events_since(
    client: AwsClient, *, start: datetime, end: datetime | None = None
) -> Iterator[TrailEvent]:
    """Every event from `start` (inclusive) to `end` (default: now), newest first, 50 a page."""
    params: dict[str, Any] = {"StartTime": start, "PaginationConfig": {"PageSize": PAGE_SIZE}}
    if end is not None:
        params["EndTime"] = end
    for page in client.pages("lookup_events", **params):
        for item in page.get("Events", []):
            yield trail_event(item)


def trail_event(item: dict[str, Any]) -> TrailEvent:
    """A TrailEvent from one LookupEvents item (boto3's parsed shape)."""
    record = _record(item.get("CloudTrailEvent"))
    response = record.get("responseElements")
    error_code = str(record.get("errorCode") or "")
    if not error_code and isinstance(response, dict) and response.get("ConsoleLogin") == "Failure":
        error_code = "ConsoleLoginFailure"  # sign-in failures carry no errorCode
    return TrailEvent(
        event_id=str(item.get("EventId") or record.get("eventID") or ""),
        event_time=_aware(item.get("EventTime")),
        event_name=str(item.get("EventName") or record.get("eventName") or ""),
        event_source=str(item.get("EventSource") or record.get("eventSource") or ""),
        region=str(record.get("awsRegion") or ""),
        identity=identity_from(record.get("userIdentity")),
        read_only=_read_only(item, record),
        event_type=str(record.get("eventType") or ""),
        error_code=error_code,
        error_message=str(record.get("errorMessage") or "")[:1000],
        source_ip=str(record.get("sourceIPAddress") or "")[:255],
        user_agent=str(record.get("userAgent") or "")[:512],
    )


def identity_from(data: Any) -> Identity | None:
    """The Identity of a userIdentity object, or None when there is none."""
    if not isinstance(data, dict) or not data.get("type"):
        return None
    issuer = (data.get("sessionContext") or {}).get("sessionIssuer") or {}
    on_behalf = data.get("onBehalfOf") or {}
    return Identity(
        type=str(data["type"]),
        arn=str(data.get("arn") or ""),
        principal_id=str(data.get("principalId") or ""),
        account_id=str(data.get("accountId") or ""),
        user_name=str(data.get("userName") or ""),
        invoked_by=str(data.get("invokedBy") or ""),
        access_key_id=str(data.get("accessKeyId") or ""),
        issuer_type=str(issuer.get("type") or ""),
        issuer_arn=str(issuer.get("arn") or ""),
        issuer_name=str(issuer.get("userName") or ""),
        issuer_principal_id=str(issuer.get("principalId") or ""),
        on_behalf_of=str(on_behalf.get("userId") or "") if isinstance(on_behalf, dict) else "",
    )


def _record(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        return {}
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _read_only(item: dict[str, Any], record: dict[str, Any]) -> bool | None:
    value = item.get("ReadOnly", record.get("readOnly"))
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
