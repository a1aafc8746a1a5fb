"""What the categories and Macie pages show, scoped to the person asking.

Every count is what the findings page lists for one query string (the `url` beside it): open findings
(docs/api.md, Findings) of GuardDuty and Macie, the two sources that have alert categories.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.postgres.aggregates import BoolOr, JSONBAgg
from django.db import connections
from django.db.models import Max, Model, Q, QuerySet, Sum
from django.utils import timezone

from accounts.selectors import account_ids_for_user, account_scope_for_user
from findings.categories import CATEGORIES, SHARED_TYPES, UNCATEGORISED
from findings.choices import SEVERITY_RANK, FindingSource, Severity
from findings.filtersets import UNCATEGORISED as UNCATEGORISED_PARAM
from findings.models import Finding, FindingDailyCount, MacieOpenBucket, MacieOpenSensitive
from findings.overview import finding_list_url
from findings.report_cache import report_cached
from findings.selectors import User, finding_list_for_user, open_counts
from findings.services.rollups import rollups_flush

__all__ = ["CategoryReport", "MacieReport", "category_report_for_user", "macie_report_for_user"]

CATEGORISED_SOURCES = f"{FindingSource.GUARDDUTY},{FindingSource.MACIE}"
TREND_DAYS = 30


def category_url(category: str | None) -> str:
    """The findings page of the open GuardDuty and Macie findings of one category."""
    return finding_list_url(
        open="true", source=CATEGORISED_SOURCES, category=category or UNCATEGORISED_PARAM
    )


@dataclass
class CategoryReport:
    """Thirteen tiles (and Uncategorised) with open counts by severity, and their trend."""

    tiles: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)  # day, category, count, url


def category_report_for_user(*, user: User, today: date | None = None) -> CategoryReport:
    """Open GuardDuty and Macie findings of `user`'s accounts by category and severity."""
    today = today or timezone.localdate()
    rows = open_counts(
        user=user,
        by=("category", "severity"),
        sources=[FindingSource.GUARDDUTY, FindingSource.MACIE],
    )
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["category"]][row["severity"]] += row["n"]
    report = CategoryReport()
    for category in (*CATEGORIES, None):
        by_severity = counts.get(category, Counter())
        report.tiles.append(
            {
                "category": category or UNCATEGORISED,
                "total": sum(by_severity.values()),
                "severities": [
                    {"severity": s.value, "label": s.label, "count": by_severity[s]}
                    for s in Severity
                    if s != Severity.INFORMATIONAL or by_severity[s]
                ],
                "url": category_url(category),
            }
        )
    report.trend = _trend(user, today, counts)
    return report


def _trend(user: User, today: date, live: dict[str | None, Counter[str]]) -> list[dict[str, Any]]:
    """Open counts per day and category: earlier days from our history, today live."""
    since = today - timedelta(days=TREND_DAYS)
    history = (
        FindingDailyCount.objects.filter(
            account__in=account_ids_for_user(user=user),
            source__in=[FindingSource.GUARDDUTY, FindingSource.MACIE],
            day__gte=since,
            day__lt=today,
        )
        .values("day", "category")
        .annotate(n=Sum("count"))
        .order_by("day", "category")
    )
    points = [
        {
            "day": row["day"].isoformat(),
            "category": row["category"] or UNCATEGORISED,
            "count": row["n"],
            "url": category_url(row["category"] or None),
        }
        for row in history
    ]
    points += [
        {
            "day": today.isoformat(),
            "category": category or UNCATEGORISED,
            "count": sum(by_severity.values()),
            "url": category_url(category),
        }
        for category, by_severity in live.items()
        if sum(by_severity.values())
    ]
    return points


@dataclass
class MacieReport:
    """Open Macie findings by category, severity and bucket; sensitive data; exposed buckets."""

    total: int = 0
    by_category: list[dict[str, Any]] = field(default_factory=list)
    by_severity: list[dict[str, Any]] = field(default_factory=list)
    by_bucket: list[dict[str, Any]] = field(default_factory=list)
    sensitive_types: list[dict[str, Any]] = field(default_factory=list)
    exposed_buckets: list[dict[str, Any]] = field(default_factory=list)


def macie_report_for_user(*, user: User, top: int = 10) -> MacieReport:
    """What Macie found in `user`'s accounts, worst first.

    On PostgreSQL every section is read from the counts and rollups the database keeps (a large
    organisation holds hundreds of thousands of Macie findings), cached until the Macie data
    changes (findings.report_cache); on SQLite, the demo's database, the rows are counted here.
    tests/findings/categories/test_pages.py checks that both give the same report."""
    findings = finding_list_for_user(user=user).open().filter(source=FindingSource.MACIE)
    findings = findings.select_related(None).order_by()
    if connections[findings.db].vendor != "postgresql":
        return macie_report_from_rows(findings, top)
    return report_cached(
        name="macie",
        source=FindingSource.MACIE,
        user=user,
        filters={"top": top},
        compute=lambda: _macie_report_kept(user, top),
    )


def _ranked(counts: Mapping[str | None, int]) -> list[tuple[str | None, int]]:
    """Most first, ties by name: the same order whichever way the counts were made."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))


def _macie_sections(
    report: MacieReport, categories: Counter[str | None], severities: Counter[str]
) -> None:
    report.by_category = [
        {
            "label": c or UNCATEGORISED,
            "count": n,
            "url": _macie_url(category=c or UNCATEGORISED_PARAM),
        }
        for c, n in _ranked(categories)
    ]
    report.by_severity = [
        {
            "label": s.label,
            "severity": s.value,
            "count": severities[s],
            "url": _macie_url(severity=s),
        }
        for s in Severity
        if severities[s]
    ]


def macie_report_from_rows(findings: QuerySet[Finding], top: int) -> MacieReport:
    """The Macie report counted from the rows (SQLite, and the reference the SQL path is tested
    against)."""
    rows = list(
        findings.values(
            "account__account_id",
            "bucket",
            "type",
            "category",
            "severity",
            "sensitive_data",
            "public_access",
        )
    )
    report = MacieReport(total=len(rows))
    _macie_sections(
        report, Counter(f["category"] for f in rows), Counter(f["severity"] for f in rows)
    )
    buckets = Counter(f["bucket"] for f in rows if f["bucket"])
    report.by_bucket = [
        {"label": b, "count": n, "url": _macie_url(bucket=b)} for b, n in _ranked(buckets)[:top]
    ]
    report.sensitive_types = _sensitive_types(rows)
    report.exposed_buckets = _exposed_buckets(rows)
    return report


def _macie_report_kept(user: User, top: int) -> MacieReport:
    """The Macie report from the counts and rollups PostgreSQL keeps (findings.models.rollups):
    thousands of rows, however many findings. Pending keys are recomputed first."""
    scope = account_scope_for_user(user=user)  # asked once for the rollups

    def kept(model: type[Model]) -> QuerySet[Any]:
        rows = model._default_manager.order_by()
        return rows if scope is None else rows.filter(account__in=scope)

    rollups_flush(source=FindingSource.MACIE, accounts=scope)
    cells = open_counts(user=user, by=("category", "severity"), sources=[FindingSource.MACIE])
    report = MacieReport(total=sum(c["n"] for c in cells))
    categories: Counter[str | None] = Counter()
    severities: Counter[str] = Counter()
    for cell in cells:
        categories[cell["category"]] += cell["n"]
        severities[cell["severity"]] += cell["n"]
    _macie_sections(report, categories, severities)
    buckets = kept(MacieOpenBucket)
    top_buckets = (
        buckets.values("bucket").annotate(n=Sum("findings")).order_by("-n", "bucket")[:top]
    )
    report.by_bucket = [
        {"label": r["bucket"], "count": r["n"], "url": _macie_url(bucket=r["bucket"])}
        for r in top_buckets
    ]
    kinds = (
        kept(MacieOpenSensitive)
        .values("type")
        .annotate(occurrences_=Sum("occurrences"), findings_=Sum("findings"))
    )
    report.sensitive_types = [
        {
            "type": r["type"],
            "occurrences": r["occurrences_"],
            "findings": r["findings_"],
            "url": _macie_url(sensitive_data=r["type"]),
        }
        for r in sorted(kinds, key=lambda r: (-r["occurrences_"], r["type"]))
    ]
    report.exposed_buckets = _exposed_buckets_kept(buckets)
    return report


def _exposed_buckets_kept(buckets: QuerySet[MacieOpenBucket]) -> list[dict[str, Any]]:
    """Buckets public or shared that hold sensitive data, the worst severity first (a bucket's
    rows of every region summed)."""
    rows = (
        buckets.values("account__account_id", "bucket")
        .annotate(
            public_=BoolOr("public"),
            shared_=BoolOr("shared"),
            findings_=Sum("findings"),
            worst_=Max("worst"),
            sensitive_=JSONBAgg("sensitive"),
        )
        .filter(Q(public_=True) | Q(shared_=True))
    )
    label = {rank: severity for severity, rank in SEVERITY_RANK.items()}
    exposed = []
    for row in rows:
        sensitive: Counter[str] = Counter()
        for found in row["sensitive_"]:
            sensitive.update({k: int(v) for k, v in (found or {}).items()})
        if not sensitive:
            continue
        account_id, bucket = row["account__account_id"], row["bucket"]
        exposed.append(
            {
                "account_id": account_id,
                "bucket": bucket,
                "public": bool(row["public_"]),
                "shared": bool(row["shared_"]),
                "sensitive": sorted(sensitive),
                "findings": row["findings_"],
                "worst": label[max(row["worst_"], 0)],
                "occurrences": sum(sensitive.values()),
                "url": _macie_url(bucket=bucket, account=account_id),
            }
        )
    exposed.sort(key=_exposure_order)
    return exposed


def _macie_url(**filters: str) -> str:
    return finding_list_url(open="true", source=FindingSource.MACIE, **filters)


def _sensitive_types(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    occurrences: Counter[str] = Counter()
    in_findings: Counter[str] = Counter()
    for finding in findings:
        for kind, n in (finding["sensitive_data"] or {}).items():
            occurrences[kind] += int(n)
            in_findings[kind] += 1
    return [
        {
            "type": kind,
            "occurrences": n,
            "findings": in_findings[kind],
            "url": _macie_url(sensitive_data=kind),
        }
        for kind, n in sorted(occurrences.items(), key=lambda item: (-item[1], item[0]))
    ]


def _exposed_buckets(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buckets public or shared that hold sensitive data, the worst severity first."""
    by_bucket: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        if not f["bucket"]:
            continue
        row = by_bucket.setdefault(
            (f["account__account_id"], f["bucket"]),
            {
                "account_id": f["account__account_id"],
                "bucket": f["bucket"],
                "public": False,
                "shared": False,
                "sensitive": Counter(),
                "findings": 0,
                "worst": Severity.INFORMATIONAL.value,
            },
        )
        row["findings"] += 1
        row["public"] |= bool(f["public_access"])
        row["shared"] |= f["type"] in SHARED_TYPES
        row["sensitive"].update(f["sensitive_data"] or {})
        if SEVERITY_RANK[f["severity"]] > SEVERITY_RANK[row["worst"]]:
            row["worst"] = f["severity"]
    exposed = [r for r in by_bucket.values() if (r["public"] or r["shared"]) and r["sensitive"]]
    for row in exposed:
        row["occurrences"] = sum(row["sensitive"].values())
        row["sensitive"] = sorted(row["sensitive"])
        row["url"] = _macie_url(bucket=row["bucket"], account=row["account_id"])
    exposed.sort(key=_exposure_order)
    return exposed


def _exposure_order(row: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """The worst severity first, then the most sensitive data found; ties by bucket, account."""
    return (-SEVERITY_RANK[row["worst"]], -row["occurrences"], row["bucket"], row["account_id"])
