"""The costs overview's numbers, in one read scoped to the person (a selector too big to share
costs/selectors.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from costs import selectors
from costs.selectors import CeUsage, Forecast, Mover, User
from costs.sources.costs import SOURCE as COSTS


@dataclass(frozen=True)
class CostOverview:
    """What the overview shows; amounts in USD, days in UTC."""

    today: date
    start: date
    as_of: datetime | None
    by_account: list[dict[str, Any]]
    by_service: list[dict[str, Any]]
    this_month: list[dict[str, Any]]
    last_month: list[dict[str, Any]]
    month_to_date: Decimal
    last_month_same_days: Decimal
    last_month_total: Decimal
    forecast: Forecast | None
    movers: list[Mover]
    usage: CeUsage | None
    names: dict[str, str]

    @property
    def change_percent(self) -> Decimal | None:
        """Month to date against the same days of last month, in percent."""
        if not self.last_month_same_days:
            return None
        return (self.month_to_date - self.last_month_same_days) / self.last_month_same_days * 100


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def _per_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[date, Decimal] = {}
    for row in rows:
        totals[row["day"]] = totals.get(row["day"], Decimal(0)) + row["amount"]
    return [{"day": d, "amount": a} for d, a in sorted(totals.items())]


def cost_overview_for_user(
    *, user: User, today: date, days: int = 30, account: str | None = None, ou: str | None = None
) -> CostOverview:
    """Spend by account and by service over `days`, month to date against last month, the
    forecast (only for those who see the whole organisation), top movers and Cost Explorer
    requests this month; everything limited to what `user` sees (and to `account` or the accounts
    in or under `ou` if given)."""
    start = today - timedelta(days=days)
    end = today + timedelta(days=1)
    month = today.replace(day=1)
    previous = _previous_month(today)
    same_day = min(today.day, (month - timedelta(days=1)).day)
    by_account = selectors.daily_spend(
        user=user, start=start, end=end, by="account_id", account=account, ou=ou
    )
    this_month = [r for r in by_account if r["day"] >= month] if start <= month else None
    if this_month is None:
        this_month = selectors.daily_spend(
            user=user, start=month, end=end, by="account_id", account=account, ou=ou
        )
    last_rows = selectors.daily_spend(
        user=user, start=previous, end=month, by="account_id", account=account, ou=ou
    )
    last_month = _per_day(last_rows)
    return CostOverview(
        today=today,
        start=start,
        as_of=selectors.data_as_of(user=user, source=COSTS.name),
        by_account=by_account,
        by_service=selectors.daily_spend(
            user=user, start=start, end=end, by="service", account=account, ou=ou
        ),
        this_month=_per_day(this_month),
        last_month=last_month,
        month_to_date=sum((r["amount"] for r in this_month), Decimal(0)),
        last_month_same_days=sum(
            (r["amount"] for r in last_month if r["day"].day <= same_day), Decimal(0)
        ),
        last_month_total=sum((r["amount"] for r in last_month), Decimal(0)),
        forecast=None if account or ou else selectors.forecast_for_user(user=user, today=today),
        movers=selectors.top_movers(user=user, today=today, account=account, ou=ou),
        usage=selectors.ce_usage_for_user(user=user, today=today),
        names=selectors.account_names_for_user(user=user),
    )
