"""Macie (macie2): session, finding ids, findings; pure AWS talk, no database.

https://docs.aws.amazon.com/macie/latest/APIReference/findings.html
https://docs.aws.amazon.com/macie/latest/APIReference/findings-describe.html
Raises accounts.aws exceptions: ServiceNotEnabled when Macie is off (GetMacieSession answers
AccessDeniedException "Macie is not enabled"; accounts.aws tells it from a missing permission).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from accounts.aws import AwsClient
from findings.choices import AwsState, FindingSource
from findings.collectors.guardduty import epoch_millis
from findings.records import FindingRecord, aws_time, json_safe
from findings.sources.macie import SOURCE

# Page sizes are declared with the source (findings/sources/macie.py).
PAGE_SIZE = SOURCE.page_sizes["ListFindings"]
GET_BATCH = SOURCE.page_sizes["GetFindings"]


def session_check(client: AwsClient) -> str:
    """Macie's status in the region (ENABLED or PAUSED); raises ServiceNotEnabled when it is off."""
    return str(client.call("get_macie_session").get("status", ""))


def finding_id_pages(
    client: AwsClient, *, updated_since: datetime | None = None, archived: bool | None = None
) -> Iterator[list[str]]:
    """Pages of finding ids, oldest update first; only those updated at or after `updated_since`
    when given, only archived (or unarchived) ones when `archived` is given."""
    criterion: dict[str, Any] = {}
    if updated_since is not None:
        criterion["updatedAt"] = {"gte": epoch_millis(updated_since)}
    if archived is not None:
        criterion["archived"] = {"eq": ["true" if archived else "false"]}
    params: dict[str, Any] = {
        "sortCriteria": {"attributeName": "updatedAt", "orderBy": "ASC"},
        "PaginationConfig": {"PageSize": PAGE_SIZE},
    }
    if criterion:
        params["findingCriteria"] = {"criterion": criterion}
    for page in client.pages("list_findings", **params):
        ids = list(page.get("findingIds", []))
        if ids:
            yield ids


def findings_get(client: AwsClient, ids: Iterable[str]) -> Iterator[FindingRecord]:
    """The findings of `ids`, asked in batches of at most 50."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), GET_BATCH):
        response = client.call("get_findings", findingIds=unique[start : start + GET_BATCH])
        for payload in response.get("findings", []):
            yield finding_record(payload)


def finding_record(payload: dict[str, Any]) -> FindingRecord:
    """A FindingRecord from one macie2 finding (boto3's parsed shape), payload kept verbatim."""
    severity = payload.get("severity") or {}
    resources = payload.get("resourcesAffected") or {}
    bucket = resources.get("s3Bucket") or {}
    s3_object = resources.get("s3Object") or {}
    policy = payload.get("policyDetails") or {}
    actor = policy.get("actor") or {}
    api_call = (policy.get("action") or {}).get("apiCallDetails") or {}
    score = severity.get("score")
    return FindingRecord(
        source=FindingSource.MACIE.value,
        source_id=str(payload["id"]),
        account_id=str(payload.get("accountId", "")),
        region=str(payload.get("region", "")),
        type=str(payload.get("type", "")),
        title=str(payload.get("title", "")),
        description=str(payload.get("description", "")),
        severity_score=None if score is None else float(score),
        native_severity=str(severity.get("description", "")),
        aws_state=(AwsState.ARCHIVED if payload.get("archived") else AwsState.ACTIVE).value,
        service_count=int(payload.get("count") or 1),
        first_seen=aws_time(api_call.get("firstSeen") or payload.get("createdAt")),
        last_seen=aws_time(api_call.get("lastSeen") or payload.get("updatedAt")),
        aws_created_at=aws_time(payload.get("createdAt")),
        aws_updated_at=aws_time(payload.get("updatedAt")),
        resource_type="S3Object" if s3_object else "S3Bucket",
        resource_id=str(s3_object.get("path") or bucket.get("arn") or bucket.get("name") or ""),
        action_type=str((policy.get("action") or {}).get("actionType", "")),
        bucket=str(bucket.get("name", "")),
        object_key=str(s3_object.get("key", "")),
        sensitive_data=sensitive_data(payload),
        public_access=_public(bucket, s3_object),
        identity_type=str((actor.get("userIdentity") or {}).get("type", "")),
        **_actor_place(actor),
        raw=json_safe(payload),
    )


def sensitive_data(payload: dict[str, Any]) -> dict[str, int]:
    """Occurrences per sensitive data category (CREDENTIALS, PERSONAL_INFORMATION...) and custom
    identifiers (CUSTOM_IDENTIFIER)."""
    result = (payload.get("classificationDetails") or {}).get("result") or {}
    found: dict[str, int] = {}
    for item in result.get("sensitiveData") or []:
        category = str(item.get("category", ""))
        found[category] = found.get(category, 0) + int(item.get("totalCount") or 0)
    custom = (result.get("customDataIdentifiers") or {}).get("totalCount")
    if custom:
        found["CUSTOM_IDENTIFIER"] = int(custom)
    return found


def _public(bucket: dict[str, Any], s3_object: dict[str, Any]) -> bool | None:
    effective = (bucket.get("publicAccess") or {}).get("effectivePermission")
    if effective is None and "publicAccess" not in s3_object:
        return None
    return effective == "PUBLIC" or bool(s3_object.get("publicAccess"))


def _actor_place(actor: dict[str, Any]) -> dict[str, str]:
    ip = actor.get("ipAddressDetails") or {}
    owner = ip.get("ipOwner") or {}
    country = ip.get("ipCountry") or {}
    return {
        "remote_ip": str(ip.get("ipAddressV4") or ""),
        "domain": str((actor.get("domainDetails") or {}).get("domainName") or ""),
        "country": str(country.get("name", "")),
        "country_code": str(country.get("code", "")),
        "organisation": str(owner.get("asnOrg") or owner.get("org") or ""),
        "asn": str(owner.get("asn", "")),
    }


def organization_admin(client: AwsClient) -> str:
    """The account Macie names as the organisation's administrator (asked of the management
    account: ListOrganizationAdminAccounts, 25 a page), or "" when none is enabled."""
    pages = client.pages("list_organization_admin_accounts", PaginationConfig={"PageSize": 25})
    for page in pages:
        for admin in page.get("adminAccounts", []):
            if admin.get("status") == "ENABLED":
                return str(admin["accountId"])
    return ""


def member_statuses(client: AwsClient) -> dict[str, str]:
    """The administrator's members in the client's region and their relationshipStatus (Enabled
    when Macie runs for them; Paused when it is suspended)."""
    session_check(client)  # raises ServiceNotEnabled when Macie is off for the administrator
    pages = client.pages("list_members", PaginationConfig={"PageSize": 25})
    return {m["accountId"]: str(m["relationshipStatus"]) for p in pages for m in p["members"]}
