"""GuardDuty: detectors, findings (ListFindings, GetFindings), statistics. The delegated
administrator's ListFindings / GetFindings also cover its enabled members (services.delegation).

https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListFindings.html
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..procedural import ProceduralFindings
from ..registry import RequestContext, invalid_token, operation
from ._common import as_text, clone, compare_number, hex_id, iso_ms, values_at, wildcard
from .delegation import readable_accounts

if TYPE_CHECKING:
    from ..world import World

# ListFindings and ListDetectors: "The default value is 50. The maximum value is 50." (model docs)
LIST_PAGE = 50
_RANGE_OPS = {
    "Gt": float.__gt__,
    "GreaterThan": float.__gt__,
    "Gte": float.__ge__,
    "GreaterThanOrEqual": float.__ge__,
    "Lt": float.__lt__,
    "LessThan": float.__lt__,
    "Lte": float.__le__,
    "LessThanOrEqual": float.__le__,
}


def _bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message, 400, fields={"Type": "InvalidInputException"})


class GuardDutyState:
    """One account and region: an optional detector and its findings (boto3 shape)."""

    def __init__(self, world: World, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        self.detector_id: str | None = None
        self.findings: dict[str, dict[str, Any]] = {}
        self.generated: ProceduralFindings | None = None

    def procedural(self, n: int, *, seed: str = "watchpost", **kwargs: Any) -> ProceduralFindings:
        """Serve `n` findings computed from their index (aws_emulator.procedural) besides the
        stored ones: a bench's million findings without a million dicts in memory."""
        if self.detector_id is None:
            self.enable()
        assert self.detector_id is not None
        self.generated = ProceduralFindings(
            account_id=self.account_id,
            region=self.region,
            detector_id=self.detector_id,
            n=n,
            end=kwargs.pop("end", None) or self.world.clock(),
            seed=seed,
            **kwargs,
        )
        return self.generated

    def enable(self, detector_id: str | None = None) -> str:
        """Create the detector (GuardDuty on in this region) and return its id."""
        self.detector_id = detector_id or hex_id("detector", self.account_id, self.region)
        return self.detector_id

    def disable(self) -> None:
        """Delete the detector (its findings go with it, as in AWS)."""
        self.detector_id = None
        self.findings.clear()
        self.generated = None

    def add_finding(
        self, finding: dict[str, Any] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """Store a finding in boto3 shape, filling ids, ARN, times and service defaults."""
        if self.detector_id is None:
            self.enable()
        data = clone(finding or {})
        data.update(overrides)
        now = iso_ms(self.world.clock())
        finding_id = data.setdefault(
            "Id", hex_id("gd", self.account_id, self.region, len(self.findings), now)
        )
        data.setdefault("AccountId", self.account_id)
        data.setdefault("Region", self.region)
        data.setdefault("Partition", "aws")
        data.setdefault("SchemaVersion", "2.0")
        data.setdefault(
            "Arn",
            f"arn:aws:guardduty:{self.region}:{self.account_id}:detector/{self.detector_id}"
            f"/finding/{finding_id}",
        )
        data.setdefault("CreatedAt", now)
        data.setdefault("UpdatedAt", data["CreatedAt"])
        data.setdefault("Resource", {"ResourceType": "Instance"})
        data.setdefault("Severity", 5.0)
        data.setdefault("Type", "Recon:EC2/PortProbeUnprotectedPort")
        service = data.setdefault("Service", {})
        service.setdefault("Archived", False)
        service.setdefault("Count", 1)
        service.setdefault("DetectorId", self.detector_id)
        service.setdefault("ServiceName", "guardduty")
        service.setdefault("ResourceRole", "TARGET")
        service.setdefault("EventFirstSeen", data["CreatedAt"])
        service.setdefault("EventLastSeen", data["UpdatedAt"])
        self.findings[finding_id] = data
        return clone(data)

    def update_finding(
        self, finding_id: str, *, touch: bool = True, **changes: Any
    ) -> dict[str, Any]:
        """Change top-level members (boto3 names); `touch` moves UpdatedAt to the clock's now.

        `Count=` and `Archived=` are applied to `Service`, like a recurring occurrence would.
        """
        data = self.findings[finding_id]
        service = data["Service"]
        for key in ("Count", "Archived", "EventLastSeen"):
            if key in changes:
                service[key] = changes.pop(key)
        data.update(clone(changes))
        if touch and "UpdatedAt" not in changes:
            data["UpdatedAt"] = iso_ms(self.world.clock())
        return clone(data)

    def archive(self, ids: list[str], *, touch: bool = False) -> None:
        """Archive findings. AWS does not document whether this moves UpdatedAt: by default not."""
        for finding_id in ids:
            self.update_finding(finding_id, touch=touch, Archived=True)

    def unarchive(self, ids: list[str], *, touch: bool = False) -> None:
        """Unarchive findings (UpdatedAt unchanged unless `touch`)."""
        for finding_id in ids:
            self.update_finding(finding_id, touch=touch, Archived=False)

    def delete(self, ids: list[str]) -> None:
        """Forget findings, as AWS does 90 days after their last update."""
        for finding_id in ids:
            self.findings.pop(finding_id, None)


def _state(context: RequestContext, detector_id: str) -> GuardDutyState:
    state = context.world.guardduty(context.account_id, context.region)
    if state.detector_id is None or state.detector_id != detector_id:
        raise _bad_request(
            "The request is rejected because the input detectorId is not owned by the current "
            "account."
        )
    return state


def _matches(finding: dict[str, Any], field: str, condition: dict[str, Any]) -> bool:
    found = values_at(finding, field.split("."), capitalized=True)
    for op, expected in condition.items():
        if op in ("Eq", "Equals"):
            ok = any(as_text(v) in expected for v in found)
        elif op in ("Neq", "NotEquals"):
            ok = all(as_text(v) not in expected for v in found)
        elif op == "Matches":
            ok = any(wildcard(v, expected) for v in found)
        elif op == "NotMatches":
            ok = not any(wildcard(v, expected) for v in found)
        else:
            compare = _RANGE_OPS[op]
            ok = any(compare(compare_number(v, field), float(expected)) for v in found)
        if not ok:
            return False
    return True


def _all(state: GuardDutyState) -> list[dict[str, Any]]:
    generated = state.generated
    extra = [] if generated is None else [generated.build(i) for i in range(generated.n)]
    return [*state.findings.values(), *extra]


def _select(state: GuardDutyState, params: dict[str, Any]) -> list[dict[str, Any]]:
    criteria = params.get("FindingCriteria", {}).get("Criterion", {})
    findings = [
        f for f in _all(state) if all(_matches(f, field, cond) for field, cond in criteria.items())
    ]
    return _sorted(findings, params.get("SortCriteria"))


def _readable(context: RequestContext, state: GuardDutyState) -> list[GuardDutyState]:
    """The caller's state, and its enabled members' in the region when it is the administrator."""
    accounts = readable_accounts(context, "guardduty")
    return [state, *(context.world.guardduty(a, context.region) for a in accounts[1:])]


def _select_ids_many(states: list[GuardDutyState], params: dict[str, Any]) -> Sequence[str]:
    """The ids of an administrator's view: every readable account's findings in one order."""
    if len(states) == 1:
        return _select_ids(states[0], params)
    criteria = params.get("FindingCriteria", {}).get("Criterion", {})
    findings = [
        f
        for state in states
        for f in _all(state)
        if all(_matches(f, field, cond) for field, cond in criteria.items())
    ]
    return [f["Id"] for f in _sorted(findings, params.get("SortCriteria"))]


def _select_ids(state: GuardDutyState, params: dict[str, Any]) -> Sequence[str]:
    """The ids of the findings matching the criteria, in the requested order; a procedural estate
    alone answers its ids without building its findings."""
    criteria = params.get("FindingCriteria", {}).get("Criterion", {})
    if state.generated is not None and not state.findings:
        ids = state.generated.select(criteria, params.get("SortCriteria"))
        if ids is not None:
            return ids
    return [f["Id"] for f in _select(state, params)]


def _get(state: GuardDutyState, finding_id: str) -> dict[str, Any] | None:
    found = state.findings.get(finding_id)
    if found is not None:
        return clone(found)
    return None if state.generated is None else state.generated.finding(finding_id)


def _sorted(findings: list[dict[str, Any]], sort: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not sort or "AttributeName" not in sort:
        return sorted(findings, key=lambda f: (f["UpdatedAt"], f["Id"]))
    field = sort["AttributeName"]

    def key(finding: dict[str, Any]) -> tuple[Any, ...]:
        found = values_at(finding, field.split("."), capitalized=True)
        value = found[0] if found else None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return (value is not None, value if number else as_text(value or ""), finding["Id"])

    return sorted(findings, key=key, reverse=sort.get("OrderBy") == "DESC")


@operation("guardduty", "ListDetectors")
def list_detectors(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """One detector id per region if GuardDuty is on, none otherwise."""
    state = context.world.guardduty(context.account_id, context.region)
    ids = [state.detector_id] if state.detector_id else []
    chunk, token = page(
        ids,
        size=params.get("MaxResults", LIST_PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=False,
        invalid=lambda: invalid_token("guardduty"),
    )
    return {"DetectorIds": chunk, **({"NextToken": token} if token else {})}


@operation("guardduty", "ListFindings")
def list_findings(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Finding ids matching FindingCriteria; archived ones too unless `service.archived` says.

    Model docs: "When this attribute is not set, all existing findings are listed."
    """
    states = _readable(context, _state(context, params["DetectorId"]))
    chunk, token = page(
        _select_ids_many(states, params),
        size=params.get("MaxResults", LIST_PAGE),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("guardduty"),
    )
    # GuardDuty always returns NextToken, empty on the last page.
    return {"FindingIds": chunk, "NextToken": token or ""}


@operation("guardduty", "GetFindings")
def get_findings(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Full findings for up to 50 ids (the model's FindingIds max); unknown ids are skipped."""
    states = _readable(context, _state(context, params["DetectorId"]))
    found = [
        f
        for i in dict.fromkeys(params["FindingIds"])
        if (f := next((g for s in states if (g := _get(s, i)) is not None), None)) is not None
    ]
    if params.get("SortCriteria"):
        found = _sorted(found, params["SortCriteria"])
    return {"Findings": found}


@operation("guardduty", "GetFindingsStatistics")
def get_findings_statistics(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """COUNT_BY_SEVERITY (deprecated) or GroupBy SEVERITY / FINDING_TYPE / ACCOUNT."""
    state = _state(context, params["DetectorId"])
    types, group_by = params.get("FindingStatisticTypes"), params.get("GroupBy")
    if bool(types) == bool(group_by):
        raise _bad_request("You must provide either findingStatisticTypes or groupBy, not both.")
    findings = _select(state, {"FindingCriteria": params.get("FindingCriteria", {})})
    if types:
        counts = Counter(str(float(f["Severity"])) for f in findings)
        return {"FindingStatistics": {"CountBySeverity": dict(counts)}}
    return {"FindingStatistics": _grouped(findings, str(group_by), params)}


def _grouped(findings: list[dict[str, Any]], group_by: str, params: dict[str, Any]) -> dict:
    keys = {
        "SEVERITY": ("GroupedBySeverity", "Severity", lambda f: float(f["Severity"])),
        "FINDING_TYPE": ("GroupedByFindingType", "FindingType", lambda f: f["Type"]),
        "ACCOUNT": ("GroupedByAccount", "AccountId", lambda f: f["AccountId"]),
    }
    if group_by not in keys:
        raise _bad_request(f"groupBy {group_by} is not supported by the emulator")
    member, label, key = keys[group_by]
    groups: dict[Any, list[dict[str, Any]]] = {}
    for finding in findings:
        groups.setdefault(key(finding), []).append(finding)
    rows = [
        {
            label: value,
            "TotalFindings": len(items),
            "LastGeneratedAt": max(i["UpdatedAt"] for i in items),
        }
        for value, items in groups.items()
    ]
    rows.sort(key=lambda r: r["TotalFindings"], reverse=params.get("OrderBy", "DESC") == "DESC")
    return {member: rows[: params.get("MaxResults", 25)]}
