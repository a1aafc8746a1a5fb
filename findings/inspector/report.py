"""The Inspector report's data: open vulnerabilities, coverage, top risks, CVEs, fixes, ages and
resources, organisation-wide or per account, scoped to the person asking (fails closed).

Every section is an SQL aggregate, never the rows in memory: a million Inspector findings is a
real organisation. A fixed number of queries whatever the size: counts by (account, type,
severity, fix, exploit); counts by age in days and severity (buckets, median and oldest from it);
distinct resources; the top risks; the top CVEs; the worst resources and their worst CVE;
coverage counts and what is not scanned; the latest collection of each account and region ("data
as of", "not enabled"). On PostgreSQL they read the rollups kept per account and region
(findings.inspector.kept) unless a filter beyond account, OU and region asks for the findings
themselves (LiveSections). The CSV download streams the rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import QueryDict
from django.utils import timezone

from findings.choices import SEVERITY_RANK, FindingSource, FixAvailable, VulnerabilityType
from findings.inspector import kept
from findings.inspector.coverage import COLLECTED, coverage_for_user, latest_runs
from findings.models import Finding
from findings.report_cache import report_cached
from findings.selectors import User, finding_list_for_user

__all__ = [
    "AGE_BUCKETS",
    "REPORT_FILTERS",
    "REPORT_SEVERITIES",
    "RESOURCES_SHOWN",
    "age_bounds",
    "inspector_report_for_user",
    "inspector_report_rows",
    "report_filters",
]

# The findings list's parameters the report takes (findings.filtersets.FindingFilterSet).
REPORT_FILTERS: tuple[str, ...] = (
    "account",
    "ou",
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
# The worst resources first: most critical, then high... then most findings (ties: the key).
RESOURCE_ORDER: tuple[str | OrderBy, ...] = (
    *(F(s).desc() for s in REPORT_SEVERITIES),
    F("total").desc(),
    "resource_id",
    "account_id",
    "region",
)
TOP_RISKS = 20
TOP_CVES = 15
RESOURCES_SHOWN = 100  # the worst resources; the CSV download has every finding
ROW_FIELDS = (
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
# The report's severity of a row: Inspector's UNTRIAGED apart from our informational band.
_REPORT_SEVERITY = Case(
    When(native_severity__iexact="UNTRIAGED", then=Value("untriaged")),
    default=F("severity"),
    output_field=CharField(),
)
_REPORT_RANK = Case(
    When(native_severity__iexact="UNTRIAGED", then=Value(-1)),
    default=F("severity_rank"),
    output_field=IntegerField(),
)
# Top risks: highest Inspector score first; then EPSS, a known exploit, severity, id.
_RISK_ORDER = (
    F("severity_score").desc(nulls_last=True),
    Coalesce("vulnerability__epss_score", Value(0.0)).desc(),
    Case(
        When(vulnerability__exploit_available=True, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    ).asc(),
    F("report_rank").desc(),
    F("id").asc(),
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


def _open_findings(*, user: User, filters: Mapping[str, Any]) -> QuerySet[Finding]:
    """The open Inspector findings the report counts: the person's accounts and the report's
    filters. Raises ValidationError naming a bad filter."""
    query = report_filters(filters)
    query["source"] = FindingSource.INSPECTOR.value
    query["open"] = "true"
    findings = finding_list_for_user(user=user, filters=query).select_related(None)
    return findings.order_by().annotate(report_severity=_REPORT_SEVERITY, report_rank=_REPORT_RANK)


def inspector_report_rows(*, user: User, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every finding the report counts, one plain row each, worst first, streamed (the CSV).
    Raises ValidationError naming a bad filter (before the first row)."""
    findings = _open_findings(user=user, filters=filters)
    rows = findings.order_by("-severity_rank", "-severity_score", "id").values(*ROW_FIELDS)
    today = _today()

    def stream() -> Iterator[dict[str, Any]]:
        for row in rows.iterator(chunk_size=2000):
            row["report_severity"] = _severity(row)
            row["vulnerability_type"] = str(row["type"]).lower()
            seen = row["first_seen"]  # whole UTC days, as the report's ages
            row["age_days"] = (today - seen.astimezone(UTC).date()).days if seen else None
            yield row

    return stream()


def _severity(row: Mapping[str, Any]) -> str:
    if str(row["native_severity"]).upper() == "UNTRIAGED":
        return "untriaged"
    return str(row["severity"])


def inspector_report_for_user(*, user: User, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Every section of the report, as plain data (the page, its JSON and the API show it);
    cached until the Inspector data changes (findings.report_cache).

    Coverage and "not enabled" follow only the account and region filters (they have no
    severity or CVE). Raises ValidationError naming a bad filter.
    """
    findings = _open_findings(user=user, filters=filters)  # a bad filter raises here
    return report_cached(
        name=f"inspector:{_today()}",  # ages count from today: a new day, a new report
        source=FindingSource.INSPECTOR,
        user=user,
        filters=report_filters(filters),
        compute=lambda: _report(user, filters, findings),
    )


def _report(user: User, filters: Mapping[str, Any], findings: QuerySet[Finding]) -> dict[str, Any]:
    applied = report_filters(filters)
    runs = latest_runs(user=user, filters=applied)
    finished = [r["finished_at"] for r in runs if r["outcome"] in COLLECTED and r["finished_at"]]
    sections: Sections = (
        kept.KeptSections(user=user, filters=applied, findings=findings)
        if kept.rollups_hold(applied, findings)
        else LiveSections(findings)
    )
    cells = sections.cells()
    return {
        "as_of": max(finished) if finished else None,
        "generated_at": timezone.now(),
        "filters": {k: applied.getlist(k) for k in applied},
        "totals": _totals(cells, sections.resource_count()),
        "by_severity": _count_by_severity(cells),
        "by_type": _by_type(cells),
        "by_account": _by_account(cells),
        "coverage": coverage_for_user(user=user, filters=applied, runs=runs),
        "top_risks": sections.top_risks(),
        "top_cves": sections.top_cves(),
        "fix_available": _fixes(cells),
        "age": _ages(sections.age_days(_today())),
        "resources": sections.resources(),
    }


def _today() -> date:
    """Today in UTC: ages are whole UTC days since Inspector first observed a finding."""
    return timezone.now().astimezone(UTC).date()


class Sections(Protocol):
    """Where the report's sections come from: the findings (LiveSections) or the rollups
    (findings.inspector.kept.KeptSections); both give the same numbers."""

    def cells(self) -> list[dict[str, Any]]: ...
    def resource_count(self) -> int: ...
    def top_risks(self) -> list[dict[str, Any]]: ...
    def top_cves(self) -> list[dict[str, Any]]: ...
    def age_days(self, today: date) -> list[tuple[int, str, int]]: ...
    def resources(self) -> list[dict[str, Any]]: ...


class LiveSections:
    """Each section an SQL aggregate over the open findings themselves (SQLite, and filters the
    rollups do not hold: severity, type, CVE, package, exploit, fix, resource)."""

    def __init__(self, findings: QuerySet[Finding]) -> None:
        self.findings = findings

    def cells(self) -> list[dict[str, Any]]:
        return _cells(self.findings)

    def resource_count(self) -> int:
        return self.findings.values("account", "region", "resource_id").distinct().count()

    def top_risks(self) -> list[dict[str, Any]]:
        return _top_risks(self.findings)

    def top_cves(self) -> list[dict[str, Any]]:
        return _top_cves(self.findings)

    def age_days(self, today: date) -> list[tuple[int, str, int]]:
        return _age_days(self.findings, today)

    def resources(self) -> list[dict[str, Any]]:
        return _resources(self.findings)


def _cells(findings: QuerySet[Finding]) -> list[dict[str, Any]]:
    """Open counts by (account, type, report severity, fix, exploit): one pass feeds the totals,
    severities, types, accounts and fixes."""
    return list(
        findings.values(  # type: ignore[misc]  # report_severity: an annotation
            "account__account_id",
            "account__name",
            "type",
            "report_severity",
            "vulnerability__fix_available",
            "vulnerability__exploit_available",
        ).annotate(n=Count("id"))
    )


def _count_by_severity(cells: list[dict[str, Any]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for cell in cells:
        counts[cell["report_severity"]] += cell["n"]
    return {s: counts[s] for s in REPORT_SEVERITIES}


def _totals(cells: list[dict[str, Any]], resources: int) -> dict[str, Any]:
    return {
        "open": sum(c["n"] for c in cells),
        "resources": resources,
        "exploit_available": sum(c["n"] for c in cells if c["vulnerability__exploit_available"]),
        "accounts": len({c["account__account_id"] for c in cells}),
    }


def _by_type(cells: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Open counts per vulnerability type, each split by severity."""
    return {
        kind: _count_by_severity([c for c in cells if str(c["type"]).lower() == kind])
        for kind in VulnerabilityType.values
    }


def _by_account(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {}
    for cell in cells:
        grouped[cell["account__account_id"]].append(cell)
        names[cell["account__account_id"]] = cell["account__name"]
    result = [
        {
            "account_id": a,
            "name": names[a],
            "total": sum(c["n"] for c in g),
            **_count_by_severity(g),
        }
        for a, g in grouped.items()
    ]
    return sorted(result, key=lambda r: (*(-r[s] for s in REPORT_SEVERITIES), r["account_id"]))


def _top_risks(findings: QuerySet[Finding]) -> list[dict[str, Any]]:
    """Highest Inspector score first; then EPSS, a known exploit, severity."""
    rows = findings.order_by(*_RISK_ORDER).values(*ROW_FIELDS, "report_severity")[:TOP_RISKS]
    return [risk_row(row) for row in rows]


def risk_row(row: dict[str, Any]) -> dict[str, Any]:
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


def _resource_key() -> Concat:
    """(account, region, resource id), a resource, as one value for COUNT(DISTINCT ...)."""
    return Concat(
        Cast("account_id", CharField()),
        Value(":"),
        F("region"),
        Value(":"),
        F("resource_id"),
        output_field=CharField(),
    )


def _top_cves(findings: QuerySet[Finding]) -> list[dict[str, Any]]:
    """The CVEs on the most resources (package vulnerabilities only)."""
    fixable = [FixAvailable.YES, FixAvailable.PARTIAL]
    rows = (
        findings.filter(type=VulnerabilityType.PACKAGE_VULNERABILITY.aws)
        .exclude(vulnerability__cve_id="")
        .exclude(vulnerability__cve_id__isnull=True)
        .values("vulnerability__cve_id")
        .annotate(
            resources=Count(_resource_key(), distinct=True),
            findings=Count("id"),
            worst=Max("report_rank"),
            score=Max("severity_score"),
            epss=Max("vulnerability__epss_score", filter=Q(vulnerability__epss_score__gt=0)),
            exploit=Count("id", filter=Q(vulnerability__exploit_available=True)),
            fix=Count("id", filter=Q(vulnerability__fix_available__in=fixable)),
        )
        .order_by(F("resources").desc(), F("score").desc(nulls_last=True), "vulnerability__cve_id")
    )[:TOP_CVES]
    return [cve_row(row) for row in rows]


def cve_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One top CVE, from its aggregates (vulnerability__cve_id, resources, findings, worst rank,
    score, epss, exploit and fix counts)."""
    label = {rank: name for name, rank in _RANK.items()}
    return {
        "cve_id": row["vulnerability__cve_id"],
        "resources": row["resources"],
        "findings": row["findings"],
        "severity": label[row["worst"]],
        "inspector_score": row["score"],
        "epss_score": row["epss"],
        "exploit_available": row["exploit"] > 0,
        "fix_available": row["fix"] > 0,
    }


def _fixes(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings with a fix for every package (yes), some (partial), none (no), or unknown (AWS
    gives none, e.g. network reachability); the share counts yes and partial among the known."""
    counts: Counter[str] = Counter()
    for cell in cells:
        counts[cell["vulnerability__fix_available"] or "unknown"] += cell["n"]
    known = counts["yes"] + counts["partial"] + counts["no"]
    share = (counts["yes"] + counts["partial"]) / known if known else None
    return {
        "yes": counts["yes"],
        "partial": counts["partial"],
        "no": counts["no"],
        "unknown": counts["unknown"],
        "share": None if share is None else round(share, 4),
    }


def _age_days(findings: QuerySet[Finding], today: date) -> list[tuple[int, str, int]]:
    """(age in whole UTC days, report severity, open findings): on PostgreSQL grouped in SQL; on
    SQLite (the demo) from the rows."""
    seen = findings.filter(first_seen__isnull=False)
    if connections[findings.db].vendor == "postgresql":
        table = connections[findings.db].ops.quote_name(Finding._meta.db_table)
        days = RawSQL(  # noqa: S611 - our table name, the day as a parameter
            f"(%s::date - ({table}.first_seen AT TIME ZONE 'UTC')::date)",
            (today,),
            output_field=IntegerField(),
        )
        rows = seen.annotate(days=days).values("days", "report_severity").annotate(n=Count("id"))
        return [(r["days"], r["report_severity"], r["n"]) for r in rows]
    counts: Counter[tuple[int, str]] = Counter(
        ((today - first.astimezone(UTC).date()).days, severity)
        for first, severity in seen.values_list(  # type: ignore[misc]  # an annotation
            "first_seen", "report_severity"
        ).iterator()
    )
    return [(days, severity, n) for (days, severity), n in counts.items()]


def _median(histogram: dict[int, int]) -> float | int | None:
    """statistics.median of the ages, from their counts."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(days)
    low, high = found
    return low if low == high else (low + high) / 2


def _ages(ages: list[tuple[int, str, int]]) -> dict[str, Any]:
    """Open findings by age (whole UTC days since the day Inspector first observed them: 0
    today), each bucket by severity; from (days, report severity, findings)."""
    buckets = []
    for label, low, high in AGE_BUCKETS:
        counts: Counter[str] = Counter()
        for days, severity, n in ages:
            if days >= low and (high is None or days <= high):
                counts[severity] += n
        buckets.append(
            {
                "bucket": label,
                "min_days": low,
                "max_days": high,
                "total": sum(counts.values()),
                **{s: counts[s] for s in REPORT_SEVERITIES},
            }
        )
    histogram: Counter[int] = Counter()
    for days, _severity_name, n in ages:
        histogram[days] += n
    return {
        "buckets": buckets,
        "median_days": _median(histogram),
        "oldest_days": max(histogram) if histogram else None,
    }


def _resources(findings: QuerySet[Finding]) -> list[dict[str, Any]]:
    """The RESOURCES_SHOWN worst resources: open findings by severity, and the worst CVE (that of
    the highest Inspector score)."""
    per_severity = {s: Count("id", filter=Q(report_severity=s)) for s in REPORT_SEVERITIES}
    rows: list[dict[str, Any]] = list(
        findings.values("account", "account__account_id", "region", "resource_id")  # type: ignore[arg-type]
        .annotate(
            **per_severity,
            total=Count("id"),
            resource_type=Max("resource_type"),
            resource_name=Max("vulnerability__resource_name"),
            worst_score=Max("severity_score"),
        )
        .order_by(*RESOURCE_ORDER)[:RESOURCES_SHOWN]
    )
    worst = _worst_cves(findings, rows)
    return [
        {
            "account_id": r["account__account_id"],
            "region": r["region"],
            "resource_type": r["resource_type"],
            "resource_id": r["resource_id"],
            "resource_name": r["resource_name"] or "",
            "total": r["total"],
            **{s: r[s] for s in REPORT_SEVERITIES},
            "worst_cve": worst.get((r["account"], r["region"], r["resource_id"]), ""),
            "worst_score": r["worst_score"],
        }
        for r in rows
    ]


def _worst_cves(findings: QuerySet[Finding], rows: list[dict[str, Any]]) -> dict[tuple, str]:
    """The CVE of each resource's top risk that has one, for the resources shown (one query)."""
    if not rows:
        return {}
    match = Q(pk__in=[])
    for r in rows:
        match |= Q(account=r["account"], region=r["region"], resource_id=r["resource_id"])
    ranked = (
        findings.filter(match)
        .exclude(vulnerability__cve_id="")
        .exclude(vulnerability__cve_id__isnull=True)
        .order_by("account", "region", "resource_id", *_RISK_ORDER)
        .distinct("account", "region", "resource_id")
        if connections[findings.db].vendor == "postgresql"
        else findings.filter(match)
        .exclude(vulnerability__cve_id="")
        .exclude(vulnerability__cve_id__isnull=True)
        .order_by(*_RISK_ORDER)
    )
    worst: dict[tuple, str] = {}
    for row in ranked.values("account", "region", "resource_id", "vulnerability__cve_id"):
        worst.setdefault(
            (row["account"], row["region"], row["resource_id"]), row["vulnerability__cve_id"]
        )
    return worst


def age_bounds(bucket: Mapping[str, Any], *, today: date | None = None) -> dict[str, str]:
    """first_seen_after / first_seen_before (ISO times, both inclusive) of the findings list for
    an age bucket: the UTC days it spans."""
    today = today or _today()
    newest = datetime.combine(today - timedelta(days=bucket["min_days"] - 1), time(), UTC)
    bounds: dict[str, str] = {"first_seen_before": (newest - timedelta(microseconds=1)).isoformat()}
    if bucket["max_days"] is not None:
        oldest = today - timedelta(days=bucket["max_days"])
        bounds["first_seen_after"] = datetime.combine(oldest, time(), UTC).isoformat()
    return bounds
