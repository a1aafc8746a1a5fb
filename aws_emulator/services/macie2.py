"""Macie (macie2): GetMacieSession, ListFindings, GetFindings.

https://docs.aws.amazon.com/macie/latest/APIReference/findings.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ._common import as_text, clone, compare_number, hex_id, sort_key, values_at
from .delegation import readable_accounts

if TYPE_CHECKING:
    from ..world import World

# The model sets no range on ListFindings maxResults; Macie answers 50 at most (our reading of
# the API reference's findings pages, stated in README.md as an assumption).
LIST_PAGE = 50
# GetFindings: "You can specify as many as 50 unique identifiers in this array." (model docs)
GET_MAX = 50
_RANGES = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}


class MacieState:
    """One account and region: whether Macie is on, and its findings (boto3 shape)."""

    def __init__(self, world: World, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        self.status: str | None = None
        self.enabled_at = world.clock()
        self.findings: dict[str, dict[str, Any]] = {}

    def enable(self, status: str = "ENABLED") -> None:
        """Turn Macie on (status ENABLED or PAUSED)."""
        self.status = status
        self.enabled_at = self.world.clock()

    def disable(self) -> None:
        """Turn Macie off: GetMacieSession then answers "Macie is not enabled"."""
        self.status = None

    def add_finding(
        self, finding: dict[str, Any] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """Store a finding in boto3 shape, filling id, account, region and times."""
        data = clone(finding or {})
        data.update(overrides)
        now = self.world.clock()
        data.setdefault(
            "id", hex_id("macie", self.account_id, self.region, len(self.findings), now)
        )
        data.setdefault("accountId", self.account_id)
        data.setdefault("region", self.region)
        data.setdefault("partition", "aws")
        data.setdefault("schemaVersion", "1.0")
        data.setdefault("archived", False)
        data.setdefault("sample", False)
        data.setdefault("count", 1)
        data.setdefault("createdAt", now)
        data.setdefault("updatedAt", data["createdAt"])
        data.setdefault("type", "Policy:IAMUser/S3BucketPublic")
        data.setdefault(
            "category", "POLICY" if data["type"].startswith("Policy") else "CLASSIFICATION"
        )
        data.setdefault("severity", {"description": "High", "score": 3})
        self.findings[data["id"]] = data
        return clone(data)

    def update_finding(self, finding_id: str, *, touch: bool = True, **changes: Any) -> None:
        """Change members of a finding; `touch` moves updatedAt to now."""
        self.findings[finding_id].update(clone(changes))
        if touch and "updatedAt" not in changes:
            self.findings[finding_id]["updatedAt"] = self.world.clock()

    def archive(self, ids: list[str]) -> None:
        """Archive findings (as a suppression rule would)."""
        for finding_id in ids:
            self.update_finding(finding_id, archived=True)

    def delete(self, ids: list[str]) -> None:
        """Forget findings (Macie keeps them 90 days)."""
        for finding_id in ids:
            self.findings.pop(finding_id, None)


def _state(context: RequestContext) -> MacieState:
    state = context.world.macie(context.account_id, context.region)
    if state.status is None:
        raise AwsError("AccessDeniedException", "Macie is not enabled", 403)
    return state


def _readable(context: RequestContext, state: MacieState) -> list[MacieState]:
    """The caller's state, and its enabled members' in the region when it is the administrator."""
    accounts = readable_accounts(context, "macie2")
    return [state, *(context.world.macie(a, context.region) for a in accounts[1:])]


def _matches(finding: dict[str, Any], field: str, condition: dict[str, Any]) -> bool:
    found = values_at(finding, field.split("."), capitalized=False)
    for op, expected in condition.items():
        if op == "eq":
            ok = any(as_text(v) in expected for v in found)
        elif op == "eqExactMatch":
            ok = {as_text(v) for v in found} == set(expected)
        elif op == "neq":
            ok = all(as_text(v) not in expected for v in found)
        else:
            ok = any(_RANGES[op](compare_number(v, field), float(expected)) for v in found)
        if not ok:
            return False
    return True


@operation("macie2", "GetMacieSession")
def get_macie_session(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The Macie configuration, or AccessDeniedException "Macie is not enabled" when off."""
    state = _state(context)
    return {
        "createdAt": state.enabled_at,
        "findingPublishingFrequency": "FIFTEEN_MINUTES",
        "serviceRole": f"arn:aws:iam::{state.account_id}:role/aws-service-role/macie.amazonaws.com/"
        "AWSServiceRoleForAmazonMacie",
        "status": state.status,
        "updatedAt": state.enabled_at,
    }


@operation("macie2", "ListFindings")
def list_findings(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Finding ids matching findingCriteria (dates as epoch milliseconds), archived included."""
    state = _state(context)
    size = params.get("maxResults", LIST_PAGE)
    if not 1 <= size <= LIST_PAGE:
        raise AwsError(
            "ValidationException",
            f"The value for maxResults must be between 1 and {LIST_PAGE}.",
            400,
        )
    criteria = params.get("findingCriteria", {}).get("criterion", {})
    selected = [
        f
        for s in _readable(context, state)
        for f in s.findings.values()
        if all(_matches(f, field, cond) for field, cond in criteria.items())
    ]
    sort = params.get("sortCriteria") or {"attributeName": "updatedAt", "orderBy": "ASC"}
    field = sort.get("attributeName", "updatedAt").split(".")
    selected.sort(
        key=lambda f: (sort_key((values_at(f, field, False) or [None])[0]), f["id"]),
        reverse=sort.get("orderBy") == "DESC",
    )
    chunk, token = page(
        [f["id"] for f in selected],
        size=size,
        token=params.get("nextToken"),
        print_=fingerprint(params, ("nextToken", "maxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("macie2"),
    )
    return {"findingIds": chunk, **({"nextToken": token} if token else {})}


@operation("macie2", "GetFindings")
def get_findings(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Full findings for at most 50 ids; unknown ids are skipped."""
    state = _state(context)
    ids = params["findingIds"]
    if len(ids) > GET_MAX:
        raise AwsError(
            "ValidationException",
            f"findingIds can contain at most {GET_MAX} identifiers.",
            400,
        )
    states = _readable(context, state)
    return {
        "findings": [
            clone(s.findings[i]) for i in dict.fromkeys(ids) for s in states if i in s.findings
        ]
    }
