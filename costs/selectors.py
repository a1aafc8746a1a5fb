"""Reads of the costs app, always scoped to the accounts the person asking may see (fail closed).

Cost rows and anomalies name their linked account by its 12-digit id (Cost Explorer may report an
account Watchpost does not manage): they are scoped by the ids of the accounts the person sees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Max, Min, QuerySet, Sum

from accounts.models import SyncCursor
from accounts.ous import accounts_under_ous
from accounts.selectors import account_ids_for_user, account_list_for_user, scoped_to_user
from costs.filtersets import BudgetFilterSet, CostAnomalyFilterSet
from costs.models import Budget, CeRequestLog, CostAnomaly, CostDaily, CostForecast
from costs.sources.costs import SOURCE as COSTS

User = AbstractBaseUser | AnonymousUser
CE_REQUEST_USD = Decimal(
    "0.01"
)  # https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/
FINDINGS_SHOWN = 20


def _visible_ids(user: User) -> QuerySet[Any]:
    return account_list_for_user(user=user).values("account_id")


def account_names_for_user(*, user: User) -> dict[str, str]:
    """account id -> name of the accounts `user` sees."""
    return dict(account_list_for_user(user=user).values_list("account_id", "name"))


def cost_rows_for_user(*, user: User) -> QuerySet[CostDaily]:
    """Daily cost rows of the linked accounts `user` sees."""
    return CostDaily.objects.filter(account_id__in=_visible_ids(user))


def anomaly_list_for_user(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[CostAnomaly]:
    """Anomalies of the accounts `user` sees, narrowed by CostAnomalyFilterSet's parameters.
    Raises ValidationError (per parameter) for a bad filter value."""
    anomalies = CostAnomaly.objects.filter(account_id__in=_visible_ids(user))
    if filters is None:
        return anomalies
    filterset = CostAnomalyFilterSet(data=filters, queryset=anomalies, user=user)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


# What an anomaly says about all of its accounts together: shown only to whoever sees them all.
# Our severity is a band of the total impact (costs.severity), so it goes with the totals.
ANOMALY_TOTALS = (
    "total_impact",
    "total_actual",
    "total_expected",
    "total_impact_percentage",
    "max_impact",
    "derived_severity",
)


def visible_account_ids(*, user: User) -> set[str] | None:
    """The 12-digit ids of the accounts `user` sees; None when that is every account."""
    from accounts.selectors import account_scope_for_user

    if account_scope_for_user(user=user) is None:
        return None
    return set(_visible_ids(user).values_list("account_id", flat=True))


def _cause_account(cause: Any, filed_under: str) -> str:
    """The account of one root cause (AWS may name none: then the anomaly's own account)."""
    named = cause.get("LinkedAccount") if isinstance(cause, dict) else None
    return str(named) if named else filed_under


def anomaly_redact(values: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    """An anomaly's fields (`account_id`, `root_causes`, ANOMALY_TOTALS, as a serializer or the
    page has them) as a person who sees the accounts `visible` (None: every account) may see them.

    An anomaly is filed under the account of its largest root cause, but its root causes may be
    in other accounts: a person sees only the root causes of accounts they see, and the totals
    (which sum every root cause) only when they see every account of the anomaly; else null.
    Returns `values` changed in place.
    """
    if visible is None:
        return values
    filed_under = str(values.get("account_id") or "")
    causes = values.get("root_causes") or []
    accounts = {filed_under, *(_cause_account(c, filed_under) for c in causes)}
    values["root_causes"] = [c for c in causes if _cause_account(c, filed_under) in visible]
    if not accounts <= visible:
        for name in ANOMALY_TOTALS:
            if name in values:
                values[name] = None
    return values


def anomaly_totals_hidden_ids(anomalies: QuerySet[CostAnomaly], *, user: User) -> list[int]:
    """Ids of `anomalies` whose totals `user` may not see (an account of theirs they do not see).

    Filters and orderings on totals (min_impact, severity, ordering by total_impact) treat these
    totals as null: such an anomaly never matches a total filter and sorts last, so nobody narrows
    a hidden total down by filtering or sorting. One query over the person's anomalies' root causes,
    made only when a total filter or ordering is asked for by a person who does not see every account.
    """
    visible = visible_account_ids(user=user)
    if visible is None:
        return []
    rows = anomalies.order_by().values_list("pk", "account_id", "root_causes")
    return [
        pk
        for pk, filed_under, causes in rows.iterator()
        if any(_cause_account(c, filed_under) not in visible for c in causes or [])
    ]


def anomaly_redact_instance(anomaly: CostAnomaly, visible: set[str] | None) -> CostAnomaly:
    """anomaly_redact on a model instance, for a page (never saved afterwards)."""
    values = {
        name: getattr(anomaly, name) for name in ("account_id", "root_causes", *ANOMALY_TOTALS)
    }
    for name, value in anomaly_redact(values, visible).items():
        setattr(anomaly, name, value)
    anomaly.totals_hidden = visible is not None and values["total_impact"] is None  # type: ignore[attr-defined]
    return anomaly


def anomaly_get_for_user(*, user: User, pk: int) -> CostAnomaly | None:
    """One anomaly, or None if it does not exist or `user` may not see it."""
    return anomaly_list_for_user(user=user).select_related("payer").filter(pk=pk).first()


def budget_list_for_user(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[Budget]:
    """Current budgets (not removed) of the accounts `user` sees, narrowed by BudgetFilterSet."""
    budgets = scoped_to_user(
        Budget.objects.filter(removed_at__isnull=True), user=user
    ).select_related("account")
    if filters is None:
        return budgets
    filterset = BudgetFilterSet(data=filters, queryset=budgets)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def data_as_of(*, user: User, source: str) -> datetime | None:
    """When the data of `source` the person sees was last read from AWS (None: never, or they see
    nothing). Budgets: the oldest last complete sync of their accounts. Costs: the payer's last
    complete sync (every cost row comes from it; AWS refreshes cost data up to 3 times a day).
    """
    visible = account_ids_for_user(user=user)
    if not visible.exists():
        return None
    cursors = SyncCursor.objects.filter(source=source, cursor__isnull=False)
    if source == COSTS.name:
        return cursors.filter(account__is_payer=True).aggregate(last=Max("cursor"))["last"]
    return cursors.filter(account__in=visible).aggregate(oldest=Min("cursor"))["oldest"]


@dataclass(frozen=True)
class CeUsage:
    """Cost Explorer requests Watchpost made this month and what they cost."""

    requests: int
    usd: Decimal
    since: date


def ce_usage_for_user(*, user: User, today: date) -> CeUsage | None:
    """Watchpost's own Cost Explorer requests this month (USD 0.01 each): not member data, so
    shown to anyone who sees at least one account; None for those who see none."""
    if not account_ids_for_user(user=user).exists():
        return None
    since = today.replace(day=1)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    total = CeRequestLog.objects.filter(created_at__gte=start).aggregate(n=Sum("requests"))["n"]
    return CeUsage(requests=total or 0, usd=(total or 0) * CE_REQUEST_USD, since=since)


def _narrowed(
    rows: QuerySet[CostDaily], *, account: str | None, ou: str | None
) -> QuerySet[CostDaily]:
    """Cost rows of one linked account and/or of the accounts in or under one OU."""
    if account:
        rows = rows.filter(account_id=account)
    if ou:
        rows = rows.filter(account_id__in=accounts_under_ous([ou]).values("account_id"))
    return rows


def daily_spend(
    *,
    user: User,
    start: date,
    end: date,
    by: str,
    account: str | None = None,
    ou: str | None = None,
) -> list[dict[str, Any]]:
    """Rows {day, key, amount} of [start, end) summed by "account_id" or "service"."""
    rows = cost_rows_for_user(user=user).filter(day__gte=start, day__lt=end)
    rows = _narrowed(rows, account=account, ou=ou)
    summed = rows.order_by().values("day", by).annotate(amount=Sum("amount")).order_by("day", by)
    return [{"day": r["day"], "key": r[by], "amount": r["amount"]} for r in summed]


def spend_between(
    *, user: User, start: date, end: date, account: str | None = None, ou: str | None = None
) -> Decimal:
    """Total spend of [start, end) over the visible accounts (or one of them, or one OU's)."""
    rows = cost_rows_for_user(user=user).filter(day__gte=start, day__lt=end)
    rows = _narrowed(rows, account=account, ou=ou)
    return rows.aggregate(total=Sum("amount"))["total"] or Decimal(0)


@dataclass(frozen=True)
class Mover:
    """A (account, service) whose last 7 days differ most from the 7 before."""

    account_id: str
    service: str
    previous: Decimal
    recent: Decimal

    @property
    def change(self) -> Decimal:
        return self.recent - self.previous

    @property
    def percent(self) -> Decimal | None:
        return None if not self.previous else self.change / self.previous * 100


def top_movers(
    *,
    user: User,
    today: date,
    limit: int = 10,
    account: str | None = None,
    ou: str | None = None,
) -> list[Mover]:
    """The (account, service) pairs whose spend moved most: the 7 days to yesterday against the
    7 days before."""
    end = today
    middle, start = end - timedelta(days=7), end - timedelta(days=14)
    rows = _narrowed(
        cost_rows_for_user(user=user).filter(day__gte=start, day__lt=end), account=account, ou=ou
    )
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows.order_by().values("account_id", "service", "day", "amount"):
        sums[(row["account_id"], row["service"])][row["day"] >= middle] += row["amount"]
    movers = [Mover(a, s, prev, recent) for (a, s), (prev, recent) in sums.items()]
    movers.sort(key=lambda m: abs(m.change), reverse=True)
    return movers[:limit]


@dataclass(frozen=True)
class Forecast:
    """The organisation's month-end projection: actual to the forecast's start plus AWS's
    forecast of the rest."""

    month: date
    actual_before: Decimal
    forecast: Decimal
    lower: Decimal | None
    upper: Decimal | None
    fetched_at: datetime

    @property
    def month_end(self) -> Decimal:
        return self.actual_before + self.forecast


def forecast_for_user(*, user: User, today: date) -> Forecast | None:
    """This month's forecast of a payer whose every linked account `user` sees (AWS forecasts the
    whole organisation: showing it to someone who sees only part of it would leak the rest)."""
    visible = set(account_list_for_user(user=user).values_list("account_id", flat=True))
    month = today.replace(day=1)
    for row in CostForecast.objects.filter(month=month).order_by("-fetched_at"):
        linked = set(
            CostDaily.objects.filter(payer=row.payer_id, day__gte=month)
            .values_list("account_id", flat=True)
            .distinct()
        )
        if row.payer.account_id not in visible or not linked <= visible:
            continue
        before = CostDaily.objects.filter(
            payer=row.payer_id, day__gte=month, day__lt=row.start
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        return Forecast(month, before, row.mean, row.lower, row.upper, row.fetched_at)
    return None


def last_cost_day(*, user: User) -> date | None:
    """The most recent day with cost data the person sees."""
    return cost_rows_for_user(user=user).aggregate(last=Max("day"))["last"]


@dataclass(frozen=True)
class RelatedFindings:
    """The security findings of an anomaly's account seen during its window."""

    count: int
    findings: list[Any]
    filters: dict[str, str]
    available: bool


def anomaly_window(anomaly: CostAnomaly, now: datetime) -> tuple[datetime, datetime]:
    """[start of the first day, end of the last day] of an anomaly (an open one: until now)."""
    start = datetime.combine(anomaly.start_date or now.date(), time.min, tzinfo=UTC)
    end = datetime.combine(anomaly.end_date, time.max, tzinfo=UTC) if anomaly.end_date else now
    return start, end


def anomaly_findings_for_user(
    *, user: User, anomaly: CostAnomaly, now: datetime
) -> RelatedFindings:
    """Findings of the anomaly's account active during its window (first seen before its end,
    last seen after its start), through the findings app's own scoped selector.

    costs reads findings only here, only through `findings.selectors.finding_list_for_user` (the
    findings app's public, fail-closed read) and its documented filters, imported lazily; findings
    never imports costs, and without the findings app the page simply shows none.
    """
    start, end = anomaly_window(anomaly, now)
    filters = {
        "account": anomaly.account_id,
        "last_seen_after": start.isoformat(),
        "first_seen_before": end.isoformat(),
    }
    if not apps.is_installed("findings"):
        return RelatedFindings(0, [], filters, available=False)
    from findings.selectors import finding_list_for_user

    found = finding_list_for_user(user=user, filters=filters).order_by("-severity_rank", "-id")
    return RelatedFindings(found.count(), list(found[:FINDINGS_SHOWN]), filters, available=True)


def anomaly_daily_spend(
    *, user: User, anomaly: CostAnomaly, margin: int = 7
) -> list[dict[str, Any]]:
    """Daily spend of the anomaly's service in its account, from `margin` days before its start
    to `margin` days after its end (rows {day, amount}); empty when we hold none."""
    if anomaly.start_date is None:
        return []
    start = anomaly.start_date - timedelta(days=margin)
    end = (anomaly.end_date or anomaly.start_date) + timedelta(days=margin + 1)
    rows = (
        cost_rows_for_user(user=user)
        .filter(
            account_id=anomaly.account_id,
            service=anomaly.service,
            day__gte=start,
            day__lt=end,
        )
        .order_by()
        .values("day")
        .annotate(amount=Sum("amount"))
        .order_by("day")
    )
    return [{"day": r["day"], "amount": r["amount"]} for r in rows]
