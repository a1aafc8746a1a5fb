"""The Inspector report's data: open vulnerabilities, coverage, top risks, CVEs, fixes, ages and
resources, organisation-wide or per account, scoped to the person asking (fails closed).

One read of the open findings (a `values()` row each) feeds every section, so the report costs a
fixed number of queries whatever its size: the findings, coverage counts, the resources not
scanned, and the latest collection of each account and region ("data as of", "not enabled").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from findings.choices import SEVERITY_RANK, FindingSource, FixAvailable, VulnerabilityType
from findings.inspector.coverage import COLLECTED, coverage_for_user, latest_runs
from findings.selectors import User, finding_list_for_user

__all__ = [
    "AGE_BUCKETS",
    "REPORT_FILTERS",
    "REPORT_SEVERITIES",
    "age_bounds",
    "inspector_report_for_user",
    "inspector_report_rows",
    "report_filters",
]

# The findings list's parameters the report takes (findings.filtersets.FindingFilterSet).
REPORT_FILTERS: tuple[str, ...] = (
    "account",
    "region",
    "severity",
    "vulnerability_type",
    "cve",
    "package",
    "exploit_available",
    "fix_available",
    "resource_type",
    "resource",
)
# Our bands, with Inspector's UNTRIAGED (band informational) counted apart, as docs/domain.md, Inspector, asks.
REPORT_SEVERITIES: tuple[str, ...] = (
    "critical",
    "high",
    "medium",
    "low",
    "informational",
    "untriaged",
)
_RANK = {**SEVERITY_RANK, "untriaged": -1}
# (label, lowest age in days, highest or None)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7 days", 0, 7),
    ("8-30 days", 8, 30),
    ("31-90 days", 31, 90),
    ("91-180 days", 91, 180),
    ("over 180 days", 181, None),
)
TOP_RISKS = 20
TOP_CVES = 15
_ROW_FIELDS = (
    "id",
    "source_id",
    "account__account_id",
    "account__name",
    "region",
    "type",
    "title",
    "severity",
    "native_severity",
    "severity_score",
    "first_seen",
    "last_seen",
    "resource_type",
    "resource_id",
    "vulnerability__cve_id",
    "vulnerability__cvss_score",
    "vulnerability__epss_score",
    "vulnerability__exploit_available",
    "vulnerability__fix_available",
    "vulnerability__package_name",
    "vulnerability__package_version",
    "vulnerability__fixed_in_version",
    "vulnerability__resource_name",
)


def report_filters(query: Mapping[str, Any]) -> QueryDict:
    """The report's own filters from a request's query (others ignored), empty values dropped."""
    filters = QueryDict(mutable=True)
    getlist = getattr(query, "getlist", None)
    for key in REPORT_FILTERS:
        values = getlist(key) if getlist else ([query[key]] if key in query else [])
        values = [str(v) for v in values if str(v).strip()]
        if values:
            filters.setlist(key, values)
    return filters


def inspector_report_rows(*, user: User, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The open Inspector findings the report counts: the person's accounts, the report's filters,
    one plain row each (worst first). Raises ValidationError naming a bad filter."""
    query = report_filters(filters)
    query["source"] = FindingSource.INSPECTOR.value
    query["open"] = "true"
    findings = finding_list_for_user(user=user, filters=query)
    rows = list(findings.order_by("-severity_rank", "-severity_score", "id").values(*_ROW_FIELDS))
    now = timezone.now()
    for row in rows:
        row["report_severity"] = _severity(row)
        row["vulnerability_type"] = str(row["type"]).lower()
        seen = row["first_seen"]
        row["age_days"] = (now - seen).days if seen else None
    return rows


def _severity(row: Mapping[str, Any]) -> str:
    if str(row["native_severity"]).upper() == "UNTRIAGED":
        return "untriaged"
    return str(row["severity"])


def inspector_report_for_user(*, user: User, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Every section of the report, as plain data (the page, its JSON and the API show it).

    Coverage and "not enabled" follow only the account and region filters (they have no
    severity or CVE). Raises ValidationError naming a bad filter.
    """
    rows = inspector_report_rows(user=user, filters=filters)
    applied = report_filters(filters)
    runs = latest_runs(user=user, filters=applied)
    finished = [r["finished_at"] for r in runs if r["outcome"] in COLLECTED and r["finished_at"]]
    return {
        "as_of": max(finished) if finished else None,
        "generated_at": timezone.now(),
        "filters": {k: applied.getlist(k) for k in applied},
        "totals": _totals(rows),
        "by_severity": _by_severity(rows),
        "by_type": _by_type(rows),
        "by_account": _by_account(rows),
        "coverage": coverage_for_user(user=user, filters=applied, runs=runs),
        "top_risks": [_risk(r) for r in _top_risks(rows)],
        "top_cves": _top_cves(rows),
        "fix_available": _fixes(rows),
        "age": _ages(rows),
        "resources": _resources(rows),
    }


def _count_by_severity(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = Counter(r["report_severity"] for r in rows)
    return {s: counts[s] for s in REPORT_SEVERITIES}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    resources = {(r["account__account_id"], r["resource_id"]) for r in rows}
    return {
        "open": len(rows),
        "resources": len(resources),
        "exploit_available": sum(1 for r in rows if r["vulnerability__exploit_available"]),
        "accounts": len({r["account__account_id"] for r in rows}),
    }


def _by_severity(rows: list[dict[str, Any]]) -> dict[str, int]:
    return _count_by_severity(rows)


def _by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Open counts per vulnerability type, each split by severity."""
    return {
        kind: _count_by_severity(r for r in rows if r["vulnerability_type"] == kind)
        for kind in VulnerabilityType.values
    }


def _by_account(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    for row in rows:
        grouped[row["account__account_id"]].append(row)
        names[row["account__account_id"]] = row["account__name"]
    result = [
        {"account_id": a, "name": names[a], "total": len(g), **_count_by_severity(g)}
        for a, g in grouped.items()
    ]
    return sorted(result, key=lambda r: (*(-r[s] for s in REPORT_SEVERITIES), r["account_id"]))


def _top_risks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Highest Inspector score first; then EPSS, a known exploit, severity."""

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return (
            -(row["severity_score"] if row["severity_score"] is not None else -1),
            -(row["vulnerability__epss_score"] or 0),
            not row["vulnerability__exploit_available"],
            -_RANK[row["report_severity"]],
            row["id"],
        )

    return sorted(rows, key=key)[:TOP_RISKS]


def _risk(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "finding_arn": row["source_id"],
        "account_id": row["account__account_id"],
        "title": row["title"],
        "cve_id": row["vulnerability__cve_id"] or "",
        "severity": row["report_severity"],
        "inspector_score": row["severity_score"],
        "epss_score": row["vulnerability__epss_score"],
        "exploit_available": row["vulnerability__exploit_available"],
        "fix_available": row["vulnerability__fix_available"] or "",
        "package_name": row["vulnerability__package_name"] or "",
        "package_version": row["vulnerability__package_version"] or "",
        "fixed_in_version": row["vulnerability__fixed_in_version"] or "",
        "resource_type": row["resource_type"],
        "resource_id": row["resource_id"],
        "resource_name": row["vulnerability__resource_name"] or "",
    }


def _top_cves(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CVEs on the most resources (package vulnerabilities only)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if (
            row["vulnerability_type"] == VulnerabilityType.PACKAGE_VULNERABILITY
            and row["vulnerability__cve_id"]
        ):
            grouped[row["vulnerability__cve_id"]].append(row)
    result = []
    for cve, group in grouped.items():
        scores = [r["severity_score"] for r in group if r["severity_score"] is not None]
        epss = [r["vulnerability__epss_score"] for r in group if r["vulnerability__epss_score"]]
        result.append(
            {
                "cve_id": cve,
                "resources": len({(r["account__account_id"], r["resource_id"]) for r in group}),
                "findings": len(group),
                "severity": max((r["report_severity"] for r in group), key=_RANK.__getitem__),
                "inspector_score": max(scores) if scores else None,
                "epss_score": max(epss) if epss else None,
                "exploit_available": any(r["vulnerability__exploit_available"] for r in group),
                "fix_available": any(
                    r["vulnerability__fix_available"] in (FixAvailable.YES, FixAvailable.PARTIAL)
                    for r in group
                ),
            }
        )
    result.sort(key=lambda c: (-c["resources"], -(c["inspector_score"] or -1), c["cve_id"]))
    return result[:TOP_CVES]


def _fixes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings with a fix for every package (yes), some (partial), none (no), or unknown (AWS
    gives none, e.g. network reachability); the share counts yes and partial among the known."""
    counts = Counter(r["vulnerability__fix_available"] or "unknown" for r in rows)
    known = counts["yes"] + counts["partial"] + counts["no"]
    share = (counts["yes"] + counts["partial"]) / known if known else None
    return {
        "yes": counts["yes"],
        "partial": counts["partial"],
        "no": counts["no"],
        "unknown": counts["unknown"],
        "share": None if share is None else round(share, 4),
    }


def _ages(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Open findings by age (days since Inspector first observed them), each bucket by severity."""
    buckets = []
    for label, low, high in AGE_BUCKETS:
        inside = [
            r
            for r in rows
            if r["age_days"] is not None
            and r["age_days"] >= low
            and (high is None or r["age_days"] <= high)
        ]
        buckets.append(
            {
                "bucket": label,
                "min_days": low,
                "max_days": high,
                "total": len(inside),
                **_count_by_severity(inside),
            }
        )
    ages = [r["age_days"] for r in rows if r["age_days"] is not None]
    return {
        "buckets": buckets,
        "median_days": median(ages) if ages else None,
        "oldest_days": max(ages) if ages else None,
    }


def _resources(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per resource: open findings by severity and its worst CVE (highest Inspector score)."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(row["account__account_id"], row["region"], row["resource_id"])].append(row)
    result = []
    for (account_id, region, resource_id), group in grouped.items():
        worst = _top_risks(group)[0]  # rows come worst first; ties by EPSS
        cves = [r for r in _top_risks(group) if r["vulnerability__cve_id"]]
        result.append(
            {
                "account_id": account_id,
                "region": region,
                "resource_type": worst["resource_type"],
                "resource_id": resource_id,
                "resource_name": next(
                    (
                        r["vulnerability__resource_name"]
                        for r in group
                        if r["vulnerability__resource_name"]
                    ),
                    "",
                ),
                "total": len(group),
                **_count_by_severity(group),
                "worst_cve": cves[0]["vulnerability__cve_id"] if cves else "",
                "worst_score": worst["severity_score"],
            }
        )
    return sorted(
        result,
        key=lambda r: (*(-r[s] for s in REPORT_SEVERITIES), -r["total"], r["resource_id"]),
    )


def age_bounds(bucket: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, str]:
    """first_seen_after / first_seen_before (ISO dates) of the findings list for an age bucket."""
    now = now or timezone.now()
    bounds: dict[str, str] = {
        "first_seen_before": (now - timedelta(days=bucket["min_days"])).isoformat()
    }
    if bucket["max_days"] is not None:
        bounds["first_seen_after"] = (now - timedelta(days=bucket["max_days"] + 1)).isoformat()
    return bounds
