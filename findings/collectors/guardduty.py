"""GuardDuty: detectors, finding ids, findings, archived ids; pure AWS talk, no database.

https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListFindings.html
https://docs.aws.amazon.com/guardduty/latest/APIReference/API_GetFindings.html
Raises accounts.aws exceptions (ServiceNotEnabled when the region has no detector, AccessDenied,
AwsError); never returns "no findings" for a region it could not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from accounts.aws import AwsClient, ServiceNotEnabled
from findings.choices import AwsState, FindingSource
from findings.records import FindingRecord, aws_time, json_safe
from findings.sources.guardduty import SOURCE

# Page sizes are declared with the source (findings/sources/guardduty.py).
PAGE_SIZE = SOURCE.page_sizes["ListFindings"]
GET_BATCH = SOURCE.page_sizes["GetFindings"]


def detector_id(client: AwsClient) -> str:
    """The region's detector; raises ServiceNotEnabled when GuardDuty has none there."""
    ids = [i for page in client.pages("list_detectors") for i in page.get("DetectorIds", [])]
    if not ids:
        raise ServiceNotEnabled("GuardDuty has no detector in this region", code="NoDetector")
    return str(ids[0])  # GuardDuty allows one detector per account and region


def epoch_millis(moment: datetime) -> int:
    """GuardDuty's criteria take times as milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def finding_id_pages(
    client: AwsClient, detector: str, *, updated_since: datetime | None = None
) -> Iterator[list[str]]:
    """Pages (at most 50 ids) of every finding id, archived ones included, or of those updated at or
    after `updated_since`. (`Gte` is deprecated and an int32; `GreaterThanOrEqual` is its long.)"""
    params: dict[str, Any] = {"DetectorId": detector, "PaginationConfig": {"PageSize": PAGE_SIZE}}
    if updated_since is not None:
        params["FindingCriteria"] = {
            "Criterion": {"updatedAt": {"GreaterThanOrEqual": epoch_millis(updated_since)}}
        }
    for page in client.pages("list_findings", **params):
        ids = list(page.get("FindingIds", []))
        if ids:
            yield ids


def archived_finding_ids(client: AwsClient, detector: str) -> set[str]:
    """The ids of every archived finding (ids only: the cheap pass that keeps archived state right)."""
    return {i for page in archived_finding_id_pages(client, detector) for i in page}


def archived_finding_id_pages(client: AwsClient, detector: str) -> Iterator[list[str]]:
    """Pages of the ids of every archived finding, as ListFindings gives them."""
    params: dict[str, Any] = {
        "DetectorId": detector,
        "FindingCriteria": {"Criterion": {"service.archived": {"Equals": ["true"]}}},
        "PaginationConfig": {"PageSize": PAGE_SIZE},
    }
    for page in client.pages("list_findings", **params):
        yield list(page["FindingIds"])


def findings_get(client: AwsClient, detector: str, ids: Iterable[str]) -> Iterator[FindingRecord]:
    """The findings of `ids`, asked in batches of at most 50; ids AWS no longer has are skipped."""
    batch: list[str] = []
    for finding_id in dict.fromkeys(ids):
        batch.append(finding_id)
        if len(batch) == GET_BATCH:
            yield from _get(client, detector, batch)
            batch = []
    if batch:
        yield from _get(client, detector, batch)


def _get(client: AwsClient, detector: str, ids: list[str]) -> Iterator[FindingRecord]:
    response = client.call("get_findings", DetectorId=detector, FindingIds=ids)
    for payload in response.get("Findings", []):
        yield finding_record(payload)


def finding_record(payload: dict[str, Any]) -> FindingRecord:
    """A FindingRecord from one GetFindings item (boto3's parsed shape), payload kept verbatim."""
    service = payload.get("Service") or {}
    resource = payload.get("Resource") or {}
    action = _action_fields(service.get("Action") or {})
    score = payload.get("Severity")
    return FindingRecord(
        source=FindingSource.GUARDDUTY.value,
        source_id=str(payload["Id"]),
        account_id=str(payload.get("AccountId", "")),
        region=str(payload.get("Region", "")),
        type=str(payload.get("Type", "")),
        title=str(payload.get("Title", "")),
        description=str(payload.get("Description", "")),
        severity_score=None if score is None else float(score),
        native_severity="" if score is None else f"{float(score):g}",
        aws_state=(AwsState.ARCHIVED if service.get("Archived") else AwsState.ACTIVE).value,
        service_count=int(service.get("Count") or 1),
        first_seen=aws_time(service.get("EventFirstSeen") or payload.get("CreatedAt")),
        last_seen=aws_time(service.get("EventLastSeen") or payload.get("UpdatedAt")),
        aws_created_at=aws_time(payload.get("CreatedAt")),
        aws_updated_at=aws_time(payload.get("UpdatedAt")),
        resource_type=str(resource.get("ResourceType", "")),
        resource_id=resource_id(resource),
        threat_list_name=_threat_list_name(service),
        raw=json_safe(payload),
        **action,
    )


# Where each resource type keeps its identifier (botocore's Resource shape).
_RESOURCE_IDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("InstanceDetails", ("InstanceId",)),
    ("AccessKeyDetails", ("AccessKeyId", "UserName")),
    ("S3BucketDetails", ("Name", "Arn")),
    ("EksClusterDetails", ("Name", "Arn")),
    ("EcsClusterDetails", ("Name", "Arn")),
    ("ContainerDetails", ("Name", "Id")),
    ("LambdaDetails", ("FunctionName", "FunctionArn")),
    ("RdsDbInstanceDetails", ("DbInstanceIdentifier", "DbClusterIdentifier")),
    ("RdsLimitlessDbDetails", ("DbShardGroupIdentifier", "DbClusterIdentifier")),
    ("RdsDbUserDetails", ("User",)),
    ("EbsSnapshotDetails", ("SnapshotArn",)),
    ("Ec2ImageDetails", ("ImageArn",)),
    ("RecoveryPointDetails", ("RecoveryPointArn",)),
    ("KubernetesDetails", ()),
)


def resource_id(resource: dict[str, Any]) -> str:
    """The identifier of the affected resource (instance id, access key, bucket name...), or ""."""
    for member, keys in _RESOURCE_IDS:
        details = resource.get(member)
        if isinstance(details, list):  # S3BucketDetails is a list
            details = details[0] if details else None
        if not isinstance(details, dict):
            continue
        for key in keys:
            if details.get(key):
                return str(details[key])
    return ""


def _action_fields(action: dict[str, Any]) -> dict[str, Any]:
    """Action type, remote IP and its place, local port and domain, whatever the action kind."""
    kind = action.get("ActionType", "")
    detail: dict[str, Any] = {}
    for member in (
        "AwsApiCallAction",
        "NetworkConnectionAction",
        "PortProbeAction",
        "DnsRequestAction",
        "KubernetesApiCallAction",
        "RdsLoginAttemptAction",
    ):
        if isinstance(action.get(member), dict):
            detail = action[member]
            break
    probe = (detail.get("PortProbeDetails") or [{}])[0]
    remote = detail.get("RemoteIpDetails") or probe.get("RemoteIpDetails") or {}
    local_port = (detail.get("LocalPortDetails") or probe.get("LocalPortDetails") or {}).get("Port")
    country = remote.get("Country") or {}
    org = remote.get("Organization") or {}
    domain = detail.get("Domain") or (detail.get("DomainDetails") or {}).get("Domain") or ""
    return {
        "action_type": str(kind),
        "remote_ip": str(remote.get("IpAddressV4") or remote.get("IpAddressV6") or ""),
        "port": int(local_port) if isinstance(local_port, int) else None,
        "domain": str(domain),
        "country": str(country.get("CountryName", "")),
        "country_code": str(country.get("CountryCode", "")),
        "organisation": str(org.get("AsnOrg") or org.get("Org") or ""),
        "asn": str(org.get("Asn", "")),
    }


def _threat_list_name(service: dict[str, Any]) -> str:
    details = (service.get("Evidence") or {}).get("ThreatIntelligenceDetails") or []
    names = [str(d["ThreatListName"]) for d in details if d.get("ThreatListName")]
    return ", ".join(dict.fromkeys(names))


def organization_admin(client: AwsClient) -> str:
    """The account GuardDuty names as the organisation's administrator (asked of the management
    account: ListOrganizationAdminAccounts), or "" when none is enabled."""
    pages = client.pages("list_organization_admin_accounts", PaginationConfig={"PageSize": 50})
    for page in pages:
        for admin in page.get("AdminAccounts", []):
            if admin.get("AdminStatus") == "ENABLED":
                return str(admin["AdminAccountId"])
    return ""


def member_statuses(client: AwsClient) -> dict[str, str]:
    """The administrator's members in the client's region and their RelationshipStatus (Enabled
    when the member's detector runs under it); raises ServiceNotEnabled without a detector."""
    detector = detector_id(client)
    pages = client.pages("list_members", DetectorId=detector, PaginationConfig={"PageSize": 50})
    return {m["AccountId"]: str(m["RelationshipStatus"]) for p in pages for m in p["Members"]}
