"""Inspector (inspector2): account status, findings, coverage; pure AWS talk, no database.

https://docs.aws.amazon.com/inspector/v2/APIReference/API_BatchGetAccountStatus.html
https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListFindings.html
https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListCoverage.html
ListFindings returns whole findings (there is no Get call). Raises accounts.aws exceptions:
ServiceNotEnabled when the account status is DISABLED (never "no findings"), AccessDenied, AwsError.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accounts.aws import AccessDenied, AwsClient, ServiceNotEnabled
from findings.choices import AwsState, FindingSource
from findings.records import FindingRecord, VulnerabilityRecord, aws_time, json_safe
from findings.sources.inspector import SOURCE

# Page sizes are declared with the source (findings/sources/inspector.py). A response may hold fewer
# than asked while more follow: follow nextToken.
PAGE_SIZE = SOURCE.page_sizes["ListFindings"]
COVERAGE_PAGE_SIZE = SOURCE.page_sizes["ListCoverage"]
# filterCriteria takes at most 10 filters per field (StringFilterList max 10).
ARN_BATCH = 10
# Closed findings are listed too (Inspector deletes them later): our aws_state must move to closed.
STATUSES = ("ACTIVE", "SUPPRESSED", "CLOSED")
NOT_ENABLED_STATES = frozenset({"DISABLED", "SUSPENDED"})
AWS_STATES = {
    "ACTIVE": AwsState.ACTIVE,
    "SUPPRESSED": AwsState.SUPPRESSED,
    "CLOSED": AwsState.CLOSED,
}
# Where a resource keeps a name a person recognises (botocore's ResourceDetails).
_RESOURCE_NAMES = (
    ("awsEcrContainerImage", "repositoryName"),
    ("awsLambdaFunction", "functionName"),
    ("codeRepository", "projectName"),
)


@dataclass(frozen=True)
class CoverageRecord:
    """One covered resource and scan type: scanned or not, and why not (AWS's reason)."""

    account_id: str
    resource_type: str
    resource_id: str
    scan_type: str
    status_code: str
    reason: str
    scan_mode: str = ""
    last_scanned_at: datetime | None = None
    resource_tags: dict[str, str] = field(default_factory=dict)

    @property
    def scanned(self) -> bool:
        return self.status_code == "ACTIVE"


def account_status(client: AwsClient, account_id: str) -> dict[str, str]:
    """Inspector's state in the account and region: {"status": ..., "<resource type>": ...}.

    Raises ServiceNotEnabled when the account status is DISABLED or SUSPENDED, AccessDenied when
    AWS refuses to tell (failedAccounts).
    """
    response = client.call("batch_get_account_status", accountIds=[account_id])
    for failed in response.get("failedAccounts", []):
        if failed.get("accountId") == account_id:
            message = (
                f"BatchGetAccountStatus: {failed.get('errorCode')}: {failed.get('errorMessage')}"
            )
            raise AccessDenied(message, code=str(failed.get("errorCode", "")))
    entry = next((a for a in response.get("accounts", []) if a.get("accountId") == account_id), {})
    status = str((entry.get("state") or {}).get("status", "DISABLED"))
    if status in NOT_ENABLED_STATES:
        raise ServiceNotEnabled(
            f"Inspector is {status} in this account and region", code=f"Inspector{status.title()}"
        )
    states = {
        kind: str((s or {}).get("status", "")) for kind, s in entry.get("resourceState", {}).items()
    }
    return {"status": status, **states}


def _criteria(updated_since: datetime | None = None, *, statuses: Iterable[str] = STATUSES) -> dict:
    criteria: dict[str, Any] = {
        "findingStatus": [{"comparison": "EQUALS", "value": s} for s in statuses],
    }
    if updated_since is not None:
        criteria["updatedAt"] = [{"startInclusive": updated_since}]
    return criteria


def finding_pages(
    client: AwsClient,
    *,
    updated_since: datetime | None = None,
    statuses: Iterable[str] = STATUSES,
) -> Iterator[list[FindingRecord]]:
    """Pages of findings (active, suppressed and closed unless told), oldest update first; only
    those updated at or after `updated_since` when given."""
    yield from _pages(client, _criteria(updated_since, statuses=statuses))


def _pages(client: AwsClient, criteria: dict[str, Any]) -> Iterator[list[FindingRecord]]:
    params: dict[str, Any] = {
        "filterCriteria": criteria,
        "sortCriteria": {"field": "LAST_OBSERVED_AT", "sortOrder": "ASC"},
        "PaginationConfig": {"PageSize": PAGE_SIZE},
    }
    for page in client.pages("list_findings", **params):
        records = [finding_record(f) for f in page.get("findings", [])]
        if records:
            yield records


def findings_by_arn(client: AwsClient, arns: Iterable[str]) -> Iterator[FindingRecord]:
    """The findings of `arns`, asked 10 ARNs a request (a filter list holds at most 10); those
    Inspector no longer has are skipped."""
    unique = list(dict.fromkeys(arns))
    for start in range(0, len(unique), ARN_BATCH):
        criteria = _criteria()
        criteria["findingArn"] = [
            {"comparison": "EQUALS", "value": arn} for arn in unique[start : start + ARN_BATCH]
        ]
        for page in _pages(client, criteria):
            yield from page


def coverage_pages(client: AwsClient) -> Iterator[list[CoverageRecord]]:
    """Pages (at most 200) of every covered resource, scanned or not, with AWS's reason."""
    params: dict[str, Any] = {"PaginationConfig": {"PageSize": COVERAGE_PAGE_SIZE}}
    for page in client.pages("list_coverage", **params):
        records = [coverage_record(c) for c in page.get("coveredResources", [])]
        if records:
            yield records


def coverage_record(payload: dict[str, Any]) -> CoverageRecord:
    """A CoverageRecord from one ListCoverage item (boto3's parsed shape)."""
    status = payload.get("scanStatus") or {}
    metadata = payload.get("resourceMetadata") or {}
    tags: dict[str, str] = {}
    for member in metadata.values():
        if isinstance(member, dict) and isinstance(member.get("tags"), dict):
            tags.update({str(k): str(v) for k, v in member["tags"].items()})
    return CoverageRecord(
        account_id=str(payload.get("accountId", "")),
        resource_type=str(payload.get("resourceType", "")),
        resource_id=str(payload.get("resourceId", "")),
        scan_type=str(payload.get("scanType", "")),
        status_code=str(status.get("statusCode", "")),
        reason=str(status.get("reason", "")),
        scan_mode=str(payload.get("scanMode", "")),
        last_scanned_at=aws_time(payload.get("lastScannedAt")),
        resource_tags=tags,
    )


def finding_record(payload: dict[str, Any]) -> FindingRecord:
    """A FindingRecord from one ListFindings item (boto3's parsed shape), payload kept verbatim."""
    resource = (payload.get("resources") or [{}])[0]
    score = payload.get("inspectorScore")
    arn = str(payload["findingArn"])
    return FindingRecord(
        source=FindingSource.INSPECTOR.value,
        source_id=arn,
        account_id=str(payload.get("awsAccountId", "")),
        region=str(resource.get("region") or _arn_region(arn)),
        type=str(payload.get("type", "")),
        title=str(payload.get("title", "")),
        description=str(payload.get("description", "")),
        severity_score=None if score is None else float(score),
        native_severity=str(payload.get("severity", "")),
        aws_state=AWS_STATES.get(str(payload.get("status", "")), AwsState.ACTIVE).value,
        first_seen=aws_time(payload.get("firstObservedAt")),
        last_seen=aws_time(payload.get("lastObservedAt")),
        aws_created_at=aws_time(payload.get("firstObservedAt")),
        aws_updated_at=aws_time(payload.get("updatedAt") or payload.get("lastObservedAt")),
        resource_type=str(resource.get("type", "")),
        resource_id=str(resource.get("id", "")),
        vulnerability=vulnerability_record(payload),
        raw=json_safe(payload),
    )


def vulnerability_record(payload: dict[str, Any]) -> VulnerabilityRecord:
    """CVE, CVSS, EPSS, exploit and fix availability, packages and resource of one finding."""
    details = payload.get("packageVulnerabilityDetails") or {}
    code = payload.get("codeVulnerabilityDetails") or {}
    packages = tuple(_package(p) for p in details.get("vulnerablePackages") or [])
    first = packages[0] if packages else {}
    cvss_score, cvss_version, cvss_vector = _cvss(payload)
    resource = (payload.get("resources") or [{}])[0]
    exploit = payload.get("exploitAvailable")
    recommendation = (payload.get("remediation") or {}).get("recommendation") or {}
    return VulnerabilityRecord(
        cve_id=str(details.get("vulnerabilityId") or ", ".join(code.get("cwes") or [])),
        cvss_score=cvss_score,
        cvss_version=cvss_version,
        cvss_vector=cvss_vector,
        epss_score=_float((payload.get("epss") or {}).get("score")),
        exploit_available=None if exploit is None else exploit == "YES",
        fix_available=str(payload.get("fixAvailable") or "").lower(),
        package_name=first.get("name", ""),
        package_version=first.get("version", ""),
        fixed_in_version=first.get("fixed_in", ""),
        package_manager=first.get("manager", ""),
        packages=packages,
        resource_name=resource_name(resource),
        resource_tags={str(k): str(v) for k, v in (resource.get("tags") or {}).items()},
        remediation=str(recommendation.get("text") or ""),
        source_url=str(details.get("sourceUrl") or recommendation.get("Url") or ""),
    )


def _package(package: dict[str, Any]) -> dict[str, str]:
    version = str(package.get("version", ""))
    if package.get("release"):
        version = f"{version}-{package['release']}"
    if package.get("epoch"):
        version = f"{package['epoch']}:{version}"
    return {
        "name": str(package.get("name", "")),
        "version": version,
        "fixed_in": str(package.get("fixedInVersion", "")),
        "manager": str(package.get("packageManager", "")),
        "file_path": str(package.get("filePath", "")),
    }


def _cvss(payload: dict[str, Any]) -> tuple[float | None, str, str]:
    """The CVSS Inspector scored with (adjustedCvss), else the newest version the vendor gives."""
    adjusted = (payload.get("inspectorScoreDetails") or {}).get("adjustedCvss") or {}
    if adjusted.get("score") is not None:
        return (
            float(adjusted["score"]),
            str(adjusted.get("version", "")),
            str(adjusted.get("scoringVector", "")),
        )
    scores = (payload.get("packageVulnerabilityDetails") or {}).get("cvss") or []
    if not scores:
        return None, "", ""
    best = max(scores, key=lambda s: str(s.get("version", "")))
    return (
        _float(best.get("baseScore")),
        str(best.get("version", "")),
        str(best.get("scoringVector", "")),
    )


def resource_name(resource: dict[str, Any]) -> str:
    """A name a person recognises: the Name tag, the repository (with its tags) or the function."""
    tags = resource.get("tags") or {}
    if tags.get("Name"):
        return str(tags["Name"])
    details = resource.get("details") or {}
    for member, key in _RESOURCE_NAMES:
        value = (details.get(member) or {}).get(key)
        if value:
            image_tags = (details.get(member) or {}).get("imageTags") or []
            return f"{value}:{image_tags[0]}" if image_tags else str(value)
    return ""


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


# BatchGetAccountStatus: accountIds holds at most 100 ids (botocore's inspector2 model).
STATUS_BATCH = 100


def organization_admin(client: AwsClient) -> str:
    """The account Inspector names as the organisation's delegated administrator (asked of the
    management account: GetDelegatedAdminAccount), or "" when none is enabled."""
    admin = client.call("get_delegated_admin_account").get("delegatedAdmin") or {}
    return str(admin.get("accountId", "")) if admin.get("relationshipStatus") == "ENABLED" else ""


def member_statuses(client: AwsClient) -> dict[str, str]:
    """The administrator's members in the client's region: each one's Inspector status
    (BatchGetAccountStatus: ENABLED when it scans) when its relationship is ENABLED, else the
    relationship status."""
    pages = client.pages("list_members", PaginationConfig={"PageSize": 50})
    statuses = {m["accountId"]: str(m["relationshipStatus"]) for p in pages for m in p["members"]}
    enabled = sorted(a for a, s in statuses.items() if s == "ENABLED")
    for start in range(0, len(enabled), STATUS_BATCH):
        answer = client.call(
            "batch_get_account_status", accountIds=enabled[start : start + STATUS_BATCH]
        )
        for account in answer.get("accounts", []):
            statuses[account["accountId"]] = str(account["state"]["status"])
    return statuses
