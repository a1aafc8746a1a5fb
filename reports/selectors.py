"""The manager's report: one period (week or month) of one account, one OU, or every account the
person sees, read through the findings and costs selectors (always scoped, fail closed).

Every count is what a list shows for one query string (`links`): the report asks the same
FilterSets the lists use, with the same parameters, and counts in SQL (aggregates, never a row
per finding in Python), so it costs the same at a million findings as the lists' counts do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Sum,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import AwsAccount, OrganizationalUnit
from accounts.ous import accounts_under_ous
from accounts.selectors import account_list_for_user
from costs.selectors import anomaly_list_for_user, budget_list_for_user, spend_between
from findings.choices import Severity
from findings.governance.acceptance import risk_acceptance_list_for_user

# The events that resolve a finding: findings.governance.sla's rule, shared, not restated.
from findings.governance.sla import _RESOLVING_EVENTS, resolved_q, sla_breached_counts
from findings.models import FindingDailyCount, FindingEvent
from findings.selectors import User, finding_list_for_user, open_counts

__all__ = ["PERIODS", "Report", "report_for_user"]

PERIODS = {"week": 7, "month": 30}
TOP_RISKS = 10
ACCEPTED_EXPIRING_DAYS = 30
BANDS = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]


def _url(name: str, query: dict[str, str]) -> str:
    query = {k: v for k, v in query.items() if v}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


@dataclass
class Report:
    """What the report shows; `links[name]` is the page that lists what `name` counts and
    `api_links[name]` the API list of it (findings/, cost-anomalies/, budgets/)."""

    period: str
    period_start: datetime
    period_end: datetime
    scope: dict[str, str]  # {"account": id} or {"ou": id} or {} (every account the person sees)
    scope_label: str = "every account you see"
    open_by_severity: dict[str, int] = field(default_factory=dict)
    new: int = 0
    resolved: int = 0
    sla_breached: int | None = None
    mttr_days: dict[str, float | None] = field(default_factory=dict)
    accepted_expiring: int | None = None
    expiring_rules: list[Any] = field(default_factory=list)
    top_risks: list[Any] = field(default_factory=list)
    spend: Decimal = Decimal(0)
    spend_previous: Decimal = Decimal(0)
    budgets: list[dict[str, Any]] = field(default_factory=list)
    anomalies: int = 0
    anomalies_by_feedback: dict[str, int] = field(default_factory=dict)
    anomalies_impact: Decimal = Decimal(0)
    trend: list[dict[str, Any]] = field(default_factory=list)  # day, severity, count
    links: dict[str, str] = field(default_factory=dict)
    api_links: dict[str, str] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())

    @property
    def spend_change_percent(self) -> Decimal | None:
        """Spend against the period before, in percent (None when there was none before)."""
        if not self.spend_previous:
            return None
        return (self.spend - self.spend_previous) / self.spend_previous * 100

    @property
    def cost_days(self) -> tuple[date, date]:
        """The period's days as cost rows count them: [first, last + 1)."""
        return self.period_start.date() + timedelta(days=1), self.period_end.date() + timedelta(1)


def _link(report: Report, name: str, page: str, api: str, query: dict[str, str]) -> None:
    query = {**report.scope, **query}
    report.links[name] = _url(page, query)
    report.api_links[name] = _url(api, query)


def report_for_user(
    *,
    user: User,
    period: str = "week",
    account: str | None = None,
    ou: str | None = None,
    now: datetime | None = None,
) -> Report:
    """The report of the `period` ("week": 7 days, "month": 30 days) ending `now`, over `account`,
    or the accounts in or under `ou`, or every account `user` sees; nothing beyond what `user`
    sees, ever. Raises ValidationError for a bad value (as the lists do)."""
    end = now or timezone.now()
    start = end - timedelta(days=PERIODS[period])
    scope = {"account": account} if account else {"ou": ou} if ou else {}
    report = Report(period=period, period_start=start, period_end=end, scope=scope)
    report.scope_label = _scope_label(account=account, ou=ou) or report.scope_label
    _findings(report, user)
    _trend(report, user)
    _costs(report, user)
    return report


def _scope_label(*, account: str | None, ou: str | None) -> str:
    """The OU's or account's name and id, as the report's title says it."""
    if ou:
        name = OrganizationalUnit.objects.filter(ou_id=ou).values_list("name", flat=True).first()
        return f"organisational unit {name} ({ou})"
    if account:
        name = AwsAccount.objects.filter(account_id=account).values_list("name", flat=True).first()
        return f"account {name} ({account})" if name else f"account {account}"
    return ""


def _trend(report: Report, user: User) -> None:
    """Open findings per day and band over the period: our daily history, today's live counts."""
    accounts = account_list_for_user(user=user)
    if report.scope.get("account"):
        accounts = accounts.filter(account_id=report.scope["account"])
    if report.scope.get("ou"):
        accounts = accounts.filter(pk__in=accounts_under_ous([report.scope["ou"]]).values("pk"))
    today = report.period_end.date()
    rows = (
        FindingDailyCount.objects.filter(
            account__in=accounts.values("pk"), day__gt=report.period_start.date(), day__lt=today
        )
        .order_by()
        .values("day", "severity")
        .annotate(n=Sum("count"))
    )
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["day"], {})[row["severity"]] = row["n"]
    counts[today] = report.open_by_severity
    days = (today - report.period_start.date()).days
    report.trend = [
        {
            "day": day,
            "severity": s.value,
            "count": counts[day].get(s.value, 0) if day in counts else None,
        }
        for day in (today - timedelta(days=back) for back in range(days - 1, -1, -1))
        for s in Severity
    ]


def _findings(report: Report, user: User) -> None:
    scope, start, end = report.scope, report.period_start, report.period_end
    page, api = "findings:finding_list", "api:finding-list"
    # The counts the database keeps (findings.selectors.open_counts): the same numbers as the
    # list with open=true, without counting a million rows.
    accounts = None
    if scope.get("account"):
        accounts = list(
            AwsAccount.objects.filter(account_id=scope["account"]).values_list("pk", flat=True)
        )
    elif scope.get("ou"):
        accounts = list(accounts_under_ous([scope["ou"]]).values_list("pk", flat=True))
    counted = {
        row["severity"]: int(row["n"])
        for row in open_counts(user=user, by=("severity",), accounts=accounts)
    }
    report.open_by_severity = {s.value: counted.get(s.value, 0) for s in Severity}
    _link(report, "open", page, api, {"open": "true"})
    for s in Severity:
        _link(report, f"open_{s.value}", page, api, {"open": "true", "severity": s.value})
    window = {"first_seen_after": start.isoformat(), "first_seen_before": end.isoformat()}
    report.new = finding_list_for_user(user=user, filters={**scope, **window}).count()
    _link(report, "new", page, api, window)
    resolved = {"resolved_after": start.isoformat(), "resolved_before": end.isoformat()}
    report.resolved = finding_list_for_user(user=user, filters={**scope, **resolved}).count()
    _link(report, "resolved", page, api, resolved)
    report.mttr_days = _time_to_resolve(user, scope, start, end)
    for s in BANDS:
        _link(report, f"resolved_{s.value}", page, api, {**resolved, "severity": s.value})
    top = finding_list_for_user(user=user, filters={**scope, "open": "true"})
    report.top_risks = list(
        top.select_related(None)
        .select_related("account")
        .defer("raw")
        .order_by("-severity_rank", "-severity_score", "-id")[:TOP_RISKS]
    )
    _link(report, "top_risks", page, api, {"open": "true", "ordering": "-severity"})
    # The list's sla_breached=true, counted one index range per severity (sla_breached_counts).
    late = sla_breached_counts(finding_list_for_user(user=user, filters=scope), by=("severity",))
    report.sla_breached = sum(row["n"] for row in late)
    _link(report, "sla_breached", page, api, {"sla_breached": "true"})
    _accepted(report, user)


def _time_to_resolve(
    user: User, scope: dict[str, str], start: datetime, end: datetime
) -> dict[str, float | None]:
    """Mean days from first seen to resolution, per band, of the findings last resolved in
    [start, end): findings.governance.sla.mttr_days's numbers, read from the period's events (each
    finding's resolving event with none after it) rather than each finding's last event, so the
    cost follows the period's events, not the store's size."""
    resolved_now = finding_list_for_user(user=user, filters=scope).filter(resolved_q())
    later = FindingEvent.objects.filter(
        _RESOLVING_EVENTS, finding=OuterRef("finding"), at__gt=OuterRef("at")
    )
    took = ExpressionWrapper(F("at") - F("finding__first_seen"), output_field=DurationField())
    rows = (
        FindingEvent.objects.filter(_RESOLVING_EVENTS, at__gte=start, at__lt=end)
        .filter(~Exists(later), finding__in=resolved_now.values("pk"))
        .filter(finding__first_seen__isnull=False)
        .order_by()
        .values("finding__severity")
        .annotate(mean=Avg(took))
    )
    means = {row["finding__severity"]: row["mean"] for row in rows}
    return {s.value: _days(means.get(s.value)) for s in BANDS}


def _days(mean: Any) -> float | None:
    if mean is None:
        return None
    seconds = mean.total_seconds() if isinstance(mean, timedelta) else float(mean) / 1e6
    return round(max(seconds, 0.0) / 86400, 2)  # SQLite answers microseconds


def _accepted(report: Report, user: User) -> None:
    """Accepted findings whose risk acceptance expires within 30 days, and those rules."""
    soon = {
        "acceptance_expires_before": (
            report.period_end + timedelta(days=ACCEPTED_EXPIRING_DAYS)
        ).isoformat()
    }
    expiring = finding_list_for_user(user=user, filters={**report.scope, **soon})
    report.accepted_expiring = expiring.count()
    _link(report, "accepted_expiring", "findings:finding_list", "api:finding-list", soon)
    rule_ids = expiring.order_by().values("risk_acceptance_id")
    report.expiring_rules = list(
        risk_acceptance_list_for_user(user=user).filter(pk__in=rule_ids).order_by("expires_at")
    )


def _costs(report: Report, user: User) -> None:
    scope = report.scope
    first, after_last = report.cost_days
    length = after_last - first
    report.spend = spend_between(
        user=user, start=first, end=after_last, account=scope.get("account"), ou=scope.get("ou")
    )
    report.spend_previous = spend_between(
        user=user,
        start=first - length,
        end=first,
        account=scope.get("account"),
        ou=scope.get("ou"),
    )
    report.links["spend"] = _url("costs:overview", {**scope})
    window = {
        "start_after": first.isoformat(),
        "start_before": (after_last - timedelta(1)).isoformat(),
    }
    anomalies = anomaly_list_for_user(user=user, filters={**scope, **window}).order_by()
    by_feedback = anomalies.values("feedback").annotate(n=Count("id"), impact=Sum("total_impact"))
    for row in by_feedback:
        key = row["feedback"] or "none"
        report.anomalies_by_feedback[key] = row["n"]
        report.anomalies += row["n"]
        report.anomalies_impact += row["impact"] or Decimal(0)
    _link(report, "anomalies", "costs:anomaly_list", "api:costanomaly-list", window)
    for key in report.anomalies_by_feedback:
        name = f"anomalies_{key}"
        _link(
            report, name, "costs:anomaly_list", "api:costanomaly-list", {**window, "feedback": key}
        )
    budgets = budget_list_for_user(user=user, filters=scope).filter(budget_type="COST")
    report.budgets = [
        {
            "name": b.name,
            "account_id": b.account.account_id,
            "limit": b.limit,
            "actual": b.actual,
            "forecast": b.forecast,
            "variance": (b.actual - b.limit) if b.actual is not None and b.limit else None,
            "status": b.status,
            "status_label": b.get_status_display(),
            "unit": b.unit,
        }
        for b in budgets
    ]
    _link(report, "budgets", "costs:budget_list", "api:budget-list", {"budget_type": "COST"})


def digest_opted_in(*, user: User) -> bool:
    """Whether `user` receives the weekly digest."""
    from reports.models import ReportPreference

    if not user.is_authenticated:
        return False
    return ReportPreference.objects.filter(user_id=user.pk, weekly_digest=True).exists()
