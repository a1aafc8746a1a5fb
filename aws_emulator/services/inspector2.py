"""Inspector (inspector2): BatchGetAccountStatus, ListFindings, ListCoverage.

https://docs.aws.amazon.com/inspector/v2/APIReference/API_ListFindings.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ._common import clone, compare_number, hex_id, sort_key, values_at
from .delegation import inspector_member_of, readable_accounts

if TYPE_CHECKING:
    from ..world import World

# ListFindings: maxResults 1-100, but the model caps the response's `findings` list at 25, so a
# page never holds more than 25 findings (with nextToken while more follow).
LIST_FINDINGS_MAX, LIST_FINDINGS_PAGE_CAP = 100, 25
# ListCoverage: maxResults 1-200 (model).
LIST_COVERAGE_MAX = 200
RESOURCE_TYPES = ("ec2", "ecr", "lambda", "lambdaCode", "codeRepository")

# filterCriteria member -> finding field path (the filters the product uses, plus common ones).
_FINDING_FIELDS = {
    "awsAccountId": "awsAccountId",
    "findingArn": "findingArn",
    "findingStatus": "status",
    "findingType": "type",
    "severity": "severity",
    "title": "title",
    "updatedAt": "updatedAt",
    "firstObservedAt": "firstObservedAt",
    "lastObservedAt": "lastObservedAt",
    "inspectorScore": "inspectorScore",
    "epssScore": "epss.score",
    "resourceType": "resources.type",
    "resourceId": "resources.id",
    "vulnerabilityId": "packageVulnerabilityDetails.vulnerabilityId",
    "fixAvailable": "fixAvailable",
    "exploitAvailable": "exploitAvailable",
}
_COVERAGE_FIELDS = {
    "accountId": "accountId",
    "resourceId": "resourceId",
    "resourceType": "resourceType",
    "scanType": "scanType",
    "scanStatusCode": "scanStatus.statusCode",
    "scanStatusReason": "scanStatus.reason",
    "scanMode": "scanMode",
    "lastScannedAt": "lastScannedAt",
}
_SORT_FIELDS = {
    "AWS_ACCOUNT_ID": "awsAccountId",
    "FINDING_TYPE": "type",
    "SEVERITY": "severity",
    "FIRST_OBSERVED_AT": "firstObservedAt",
    "LAST_OBSERVED_AT": "lastObservedAt",
    "FINDING_STATUS": "status",
    "RESOURCE_TYPE": "resources.type",
    "INSPECTOR_SCORE": "inspectorScore",
    "EPSS_SCORE": "epss.score",
}
_SEVERITY_RANK = {
    "UNTRIAGED": 0,
    "INFORMATIONAL": 1,
    "LOW": 2,
    "MEDIUM": 3,
    "HIGH": 4,
    "CRITICAL": 5,
}


class Inspector2State:
    """One account and region: scan status per resource type, findings and coverage."""

    def __init__(self, world: World, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        self.resource_status = dict.fromkeys(RESOURCE_TYPES, "DISABLED")
        self.findings: dict[str, dict[str, Any]] = {}
        self.coverage: list[dict[str, Any]] = []

    def enable(self, *resource_types: str) -> None:
        """Enable scanning for the given resource types (default ec2, ecr, lambda)."""
        for kind in resource_types or ("ec2", "ecr", "lambda"):
            self.resource_status[kind] = "ENABLED"

    def disable(self) -> None:
        """Disable every resource type: the account status becomes DISABLED."""
        self.resource_status = dict.fromkeys(RESOURCE_TYPES, "DISABLED")

    @property
    def status(self) -> str:
        """ENABLED if any resource type is scanned, else DISABLED (as BatchGetAccountStatus)."""
        return "ENABLED" if "ENABLED" in self.resource_status.values() else "DISABLED"

    def add_finding(
        self, finding: dict[str, Any] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """Store a finding in boto3 shape, filling ARN, account, times and status."""
        data = clone(finding or {})
        data.update(overrides)
        now = self.world.clock()
        suffix = hex_id("inspector", self.account_id, self.region, len(self.findings), now)
        data.setdefault(
            "findingArn", f"arn:aws:inspector2:{self.region}:{self.account_id}:finding/{suffix}"
        )
        data.setdefault("awsAccountId", self.account_id)
        data.setdefault("type", "PACKAGE_VULNERABILITY")
        data.setdefault("description", "A vulnerable package is installed.")
        data.setdefault("remediation", {"recommendation": {"text": "None Provided"}})
        data.setdefault("severity", "MEDIUM")
        data.setdefault("firstObservedAt", now)
        data.setdefault("lastObservedAt", now)
        data.setdefault("updatedAt", data["lastObservedAt"])
        data.setdefault("status", "ACTIVE")
        data.setdefault(
            "resources",
            [{"type": "AWS_EC2_INSTANCE", "id": "i-0123456789abcdef0", "region": self.region}],
        )
        self.findings[data["findingArn"]] = data
        return clone(data)

    def update_finding(self, arn: str, *, touch: bool = True, **changes: Any) -> None:
        """Change members of a finding (e.g. status="CLOSED"); `touch` moves updatedAt."""
        self.findings[arn].update(clone(changes))
        if touch and "updatedAt" not in changes:
            self.findings[arn]["updatedAt"] = self.world.clock()

    def delete(self, arns: list[str]) -> None:
        """Forget findings (closed findings are deleted after a while)."""
        for arn in arns:
            self.findings.pop(arn, None)

    def add_coverage(self, resource: dict[str, Any] | None = None, **overrides: Any) -> None:
        """Add a covered (or unscanned, with a scanStatus reason) resource in boto3 shape."""
        data = clone(resource or {})
        data.update(overrides)
        data.setdefault("accountId", self.account_id)
        data.setdefault("scanStatus", {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"})
        self.coverage.append(data)


def _filter_ok(item: dict[str, Any], path: str, filters: list[dict[str, Any]]) -> bool:
    found = values_at(item, path.split("."), capitalized=False)
    positive = [f for f in filters if f.get("comparison") in ("EQUALS", "PREFIX")]
    negative = [f for f in filters if f.get("comparison") == "NOT_EQUALS"]
    ranges = [f for f in filters if "comparison" not in f]
    if positive and not any(_string_match(v, f) for f in positive for v in found):
        return False
    if any(str(v) == f["value"] for f in negative for v in found):
        return False
    return all(any(_in_range(v, path, f) for v in found) for f in ranges)


def _string_match(value: Any, filt: dict[str, Any]) -> bool:
    if filt["comparison"] == "PREFIX":
        return str(value).startswith(filt["value"])
    return str(value) == filt["value"]


def _in_range(value: Any, path: str, filt: dict[str, Any]) -> bool:
    number = compare_number(value, path)
    low = filt.get("startInclusive", filt.get("lowerInclusive"))
    high = filt.get("endInclusive", filt.get("upperInclusive"))
    if low is not None and number < compare_number(low, path):
        return False
    return not (high is not None and number > compare_number(high, path))


def _apply(items: list[dict[str, Any]], criteria: dict[str, Any], fields: dict[str, str]) -> list:
    for key in criteria:
        if key not in fields:
            from ..errors import AwsError

            raise AwsError("ValidationException", f"aws_emulator does not filter on {key}", 400)
    return [
        item
        for item in items
        if all(_filter_ok(item, fields[key], filters) for key, filters in criteria.items())
    ]


def _status_entry(status: str) -> dict[str, str]:
    """A `State` structure: status plus the errorCode / errorMessage the model requires."""
    if status == "ENABLED":
        return {"status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "Enabled"}
    return {"status": status, "errorCode": "RESOURCE_NOT_FOUND", "errorMessage": "Not enabled"}


@operation("inspector2", "BatchGetAccountStatus")
def batch_get_account_status(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Status per resource type for the caller, and for its members when it is the delegated
    administrator (other accounts: ACCESS_DENIED)."""
    accounts, failed = [], []
    for account_id in params.get("accountIds") or [context.account_id]:
        if account_id != context.account_id and not inspector_member_of(context, account_id):
            failed.append(
                {
                    "accountId": account_id,
                    "errorCode": "ACCESS_DENIED",
                    "errorMessage": "The caller is not the delegated administrator.",
                }
            )
            continue
        state = context.world.inspector2(account_id, context.region)
        accounts.append(
            {
                "accountId": account_id,
                "state": _status_entry(state.status),
                "resourceState": {
                    kind: _status_entry(status) for kind, status in state.resource_status.items()
                },
            }
        )
    return {"accounts": accounts, "failedAccounts": failed}


def _sorted(findings: list[dict[str, Any]], sort: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not sort:
        return sorted(findings, key=lambda f: (sort_key(f.get("updatedAt")), f["findingArn"]))
    path = _SORT_FIELDS.get(sort["field"], "updatedAt").split(".")

    def key(finding: dict[str, Any]) -> tuple[Any, ...]:
        value = (values_at(finding, path, False) or [None])[0]
        if sort["field"] == "SEVERITY":
            value = _SEVERITY_RANK.get(value, 0)
        return (sort_key(value), finding["findingArn"])

    return sorted(findings, key=key, reverse=sort["sortOrder"] == "DESC")


@operation("inspector2", "ListFindings")
def list_findings(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Full findings matching filterCriteria, at most 25 a page whatever maxResults says."""
    # The delegated administrator sees its enabled members' findings too (services.delegation).
    states = [
        context.world.inspector2(a, context.region)
        for a in readable_accounts(context, "inspector2")
    ]
    selected = _apply(
        [f for s in states for f in s.findings.values()],
        params.get("filterCriteria", {}),
        _FINDING_FIELDS,
    )
    chunk, token = page(
        _sorted(selected, params.get("sortCriteria")),
        size=min(params.get("maxResults", LIST_FINDINGS_MAX), LIST_FINDINGS_PAGE_CAP),
        token=params.get("nextToken"),
        print_=fingerprint(params, ("nextToken", "maxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("inspector2"),
    )
    return {"findings": clone(chunk), **({"nextToken": token} if token else {})}


@operation("inspector2", "ListCoverage")
def list_coverage(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Covered resources (scanned or not, with the reason), 200 a page."""
    state = context.world.inspector2(context.account_id, context.region)
    selected = _apply(list(state.coverage), params.get("filterCriteria", {}), _COVERAGE_FIELDS)
    chunk, token = page(
        selected,
        size=params.get("maxResults", LIST_COVERAGE_MAX),
        token=params.get("nextToken"),
        print_=fingerprint(params, ("nextToken", "maxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("inspector2"),
    )
    return {"coveredResources": clone(chunk), **({"nextToken": token} if token else {})}
