"""The overview's numbers: open findings by severity, account and type, over time, newest worst.

Every number here counts what the findings page lists for one query string (`link` below), and the
overview links each number to that page, so the two can never disagree: today's counts are read
live from the findings (the same `open` rule as the list), earlier days from our daily history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.ous import ou_list_for_user
from accounts.selectors import (
    account_ids_for_user,
    account_list_for_user,
    collection_run_list_for_user,
)
from findings.choices import FindingSource, FindingStatus, Severity
from findings.governance.sla import sla_breached_counts, sla_days
from findings.models import Finding, FindingDailyCount
from findings.selectors import User, finding_list_for_user, open_counts

__all__ = [
    "FindingOverview",
    "finding_list_url",
    "finding_overview_for_user",
    "findings_as_of",
]

TOP_TYPES = 10
NEWEST = 10
TREND_DAYS = 30


def finding_list_url(**filters: str) -> str:
    """The findings page with these filters (empty ones left out)."""
    return _with_query(reverse("findings:finding_list"), filters)


def _with_query(path: str, filters: dict[str, str]) -> str:
    """`path` with these filters (empty ones left out): one reverse() for a heatmap's 200 cells."""
    query = {k: v for k, v in filters.items() if v}
    return path + (f"?{urlencode(query)}" if query else "")


@dataclass
class FindingOverview:
    """What the overview shows; every count comes with the list URL it counts."""

    total: int = 0
    by_severity: list[dict[str, Any]] = field(default_factory=list)  # severity, count, url
    trend: list[dict[str, Any]] = field(default_factory=list)  # day, severity, count
    heatmap: list[dict[str, Any]] = field(default_factory=list)  # account_id, name, severity, ...
    top_types: list[dict[str, Any]] = field(default_factory=list)  # type, count, url
    newest: list[Finding] = field(default_factory=list)
    newest_url: str = ""
    as_of: Any = None  # the last successful collection of a findings source
    sla_breached: int = 0
    sla_breached_url: str = ""
    sla_by_account: list[dict[str, Any]] = field(default_factory=list)  # account, count, url
    sla_days: dict[str, int] = field(default_factory=dict)
    accepted: int = 0  # status accepted: not open, counted apart
    accepted_url: str = ""


def finding_overview_for_user(
    *, user: User, today: date | None = None, heatmap_by: str = "account"
) -> FindingOverview:
    """The overview of the findings `user` may see (nothing for a person without access); the
    heatmap's rows are accounts, or OUs when `heatmap_by` is "ou"."""
    today = today or timezone.localdate()
    visible = finding_list_for_user(user=user)  # the scope is read once, here
    open_findings = visible.open().order_by()
    counts = open_counts(user=user, by=("account__account_id", "severity", "type"))
    cells_by: Counter[tuple[str, str]] = Counter()
    for row in counts:
        cells_by[(row["account__account_id"], row["severity"])] += int(row["n"])
    cells: list[dict[str, Any]] = [
        {"account__account_id": a, "severity": s, "n": n} for (a, s), n in cells_by.items()
    ]
    by_severity: Counter[str] = Counter()
    for cell in cells:
        by_severity[cell["severity"]] += cell["n"]
    overview = FindingOverview(total=sum(by_severity.values()))
    overview.by_severity = [
        {
            "severity": s.value,
            "label": s.label,
            "count": by_severity[s],
            "url": finding_list_url(open="true", severity=s.value),
        }
        for s in Severity
    ]
    overview.heatmap = _heatmap_by_ou(user, cells) if heatmap_by == "ou" else _heatmap(user, cells)
    overview.top_types = _top_types(counts)
    overview.trend = _trend(user, today, by_severity)
    overview.newest = list(
        open_findings.filter(severity__in=[Severity.CRITICAL, Severity.HIGH])
        .select_related("account")
        .defer("raw")
        .order_by("-first_seen", "-id")[:NEWEST]
    )
    overview.newest_url = finding_list_url(
        open="true", severity="critical,high", ordering="-first_seen"
    )
    overview.as_of = findings_as_of(user=user)
    _governance(visible, overview)
    return overview


def _governance(visible: QuerySet[Finding], overview: FindingOverview) -> None:
    """SLA breaches (in all and per account) and accepted risks, each with the list it counts."""
    overview.sla_days = sla_days()
    late = sla_breached_counts(
        visible, by=("account__account_id", "account__name"), days=overview.sla_days
    )
    overview.sla_by_account = [
        {
            "account_id": row["account__account_id"],
            "name": row["account__name"],
            "count": row["n"],
            "url": finding_list_url(sla_breached="true", account=row["account__account_id"]),
        }
        for row in sorted(late, key=lambda r: (-r["n"], r["account__account_id"]))
    ]
    overview.sla_breached = sum(row["count"] for row in overview.sla_by_account)
    overview.sla_breached_url = finding_list_url(sla_breached="true")
    overview.accepted = visible.filter(status=FindingStatus.ACCEPTED).order_by().count()
    overview.accepted_url = finding_list_url(status=FindingStatus.ACCEPTED)


def findings_as_of(*, user: User, sources: list[str] | None = None) -> Any:
    """When `sources` (default: every findings source) were last collected for `user`'s accounts."""
    return (
        collection_run_list_for_user(user=user)
        .filter(source__in=sources or FindingSource.values, outcome__in=["ok", "partial"])
        .aggregate(last=Max("finished_at"))["last"]
    )


def _heatmap(user: User, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every visible account x every band, zero included, each with its list URL."""
    counts = {(c["account__account_id"], c["severity"]): c["n"] for c in cells}
    accounts = account_list_for_user(user=user).order_by("account_id")
    path = finding_list_url()
    return [
        {
            "account_id": account.account_id,
            "name": account.name,
            "severity": s.value,
            "count": counts.get((account.account_id, s.value), 0),
            "url": _with_query(
                path, {"open": "true", "account": account.account_id, "severity": s.value}
            ),
        }
        for account in accounts.only("account_id", "name")
        for s in Severity
    ]


def _heatmap_by_ou(user: User, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every OU the person sees x every band: each cell counts the accounts in the OU and every
    OU under it, as the list its URL opens (`ou` takes in sub-OUs)."""
    path_of = dict(
        account_list_for_user(user=user)
        .filter(ou__isnull=False)
        .values_list("account_id", "ou__path")
    )
    rows = []
    path = finding_list_url()
    for unit, _accounts in ou_list_for_user(user=user):
        under = {a for a, path in path_of.items() if path.startswith(unit.path)}
        counts: Counter[str] = Counter()
        for cell in cells:
            if cell["account__account_id"] in under:
                counts[cell["severity"]] += cell["n"]
        rows += [
            {
                "account_id": unit.ou_id,
                "name": f"{unit.name}",
                "severity": s.value,
                "count": counts[s.value],
                "url": _with_query(path, {"open": "true", "ou": unit.ou_id, "severity": s.value}),
            }
            for s in Severity
        ]
    return rows


def _top_types(counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The most frequent open types. The list's `type` filter is a prefix (docs/api.md, Findings), so each
    type counts every type it prefixes (Backdoor:EC2/C&CActivity.B takes in its !DNS variant):
    the number is what the linked list shows."""
    rows: Counter[str] = Counter()
    for row in counts:
        rows[row["type"]] += int(row["n"])
    counted = {name: sum(n for other, n in rows.items() if other.startswith(name)) for name in rows}
    top = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:TOP_TYPES]
    return [
        {"type": name, "count": n, "url": finding_list_url(open="true", type=name)}
        for name, n in top
    ]


def _trend(user: User, today: date, live: Counter[str]) -> list[dict[str, Any]]:
    """Open counts per day and band over the last TREND_DAYS days: our daily history before today,
    the live counts today (the history's last snapshot may predate a triage)."""
    start = today - timedelta(days=TREND_DAYS - 1)
    rows = (
        FindingDailyCount.objects.filter(
            account__in=account_ids_for_user(user=user), day__gte=start, day__lt=today
        )
        .values("day", "severity")
        .annotate(n=Sum("count"))
        .order_by()
    )
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["day"]][row["severity"]] += row["n"]
    counts[today] = live
    first = min(counts)
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    return [
        {"day": day, "severity": s.value, "count": counts[day][s.value] if day in counts else None}
        for day in days
        for s in Severity
    ]
