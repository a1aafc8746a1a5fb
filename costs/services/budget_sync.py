"""The budgets source: every member account's budgets, their spend and notification states."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accounts.collection import SyncContext, SyncResult
from accounts.models import AwsAccount
from costs import clock
from costs.choices import BudgetStatus
from costs.collectors import budgets as budgets_collector
from costs.collectors.budgets import BudgetRecord
from costs.models import Budget
from costs.signals import budget_alarm, budget_alarms, costs_announce

__all__ = ["budget_status", "budgets_sync", "budgets_upsert"]

WARNING_SHARE = Decimal("0.8")


def budget_status(
    *,
    limit: Decimal | None,
    actual: Decimal | None,
    forecast: Decimal | None,
    notifications: Iterable[dict[str, Any]],
) -> str:
    """docs/api.md, Budgets; first match: over (actual > limit), forecast_over (forecast > limit),
    warning (an ACTUAL notification in ALARM, or actual at least 80% of limit), else ok."""
    if limit is not None and actual is not None and actual > limit:
        return BudgetStatus.OVER
    if limit is not None and forecast is not None and forecast > limit:
        return BudgetStatus.FORECAST_OVER
    alarm = any(n.get("type") == "ACTUAL" and n.get("state") == "ALARM" for n in notifications)
    if alarm or (limit is not None and actual is not None and actual >= limit * WARNING_SHARE):
        return BudgetStatus.WARNING
    return BudgetStatus.OK


def percent_used(limit: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """actual / limit in percent, two decimals; None without a positive limit."""
    if limit is None or actual is None or limit <= 0:
        return None
    return (actual / limit * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def budgets_sync(ctx: SyncContext) -> SyncResult:
    """Collect every budget of the account (DescribeBudgets, up to 1000 a page) with its
    notifications; budgets AWS no longer lists are marked removed, never deleted."""
    now = clock.now()
    client = ctx.client("budgets")
    records = budgets_collector.account_budgets(client, account_id=ctx.account.account_id)
    new, updated, unchanged = budgets_upsert(account=ctx.account, records=records, now=now)
    return SyncResult(new=new, updated=updated, unchanged=unchanged, cursor=now, state={})


def _values(rec: BudgetRecord) -> dict[str, Any]:
    notifications = [n.as_json() for n in rec.notifications]
    return {
        "budget_type": rec.budget_type,
        "time_unit": rec.time_unit,
        "unit": rec.unit,
        "limit": rec.limit,
        "actual": rec.actual,
        "forecast": rec.forecast,
        "percent_used": percent_used(rec.limit, rec.actual),
        "status": budget_status(
            limit=rec.limit, actual=rec.actual, forecast=rec.forecast, notifications=notifications
        ),
        "period_start": rec.period_start,
        "period_end": rec.period_end,
        "notifications": notifications,
        "raw": json.loads(json.dumps(rec.raw, default=str)),
    }


def _hash(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def budgets_upsert(
    *, account: AwsAccount, records: list[BudgetRecord], now: datetime
) -> tuple[int, int, int]:
    """Insert new budgets, update changed ones, mark the unlisted removed. (new, updated, same)"""
    existing = {b.name: b for b in Budget.objects.filter(account=account)}
    new, updated, unchanged = 0, 0, 0
    alarmed: list[int] = []  # budgets with a notification in ALARM they did not have before
    for rec in records:
        values = _values(rec)
        values["content_hash"] = _hash({k: v for k, v in values.items() if k != "raw"})
        row = existing.pop(rec.name, None)
        if row is None:
            row = Budget.objects.create(account=account, name=rec.name, updated_at=now, **values)
            alarmed += [row.pk] if budget_alarms(values["notifications"]) else []
            new += 1
        elif row.content_hash != values["content_hash"] or row.removed_at is not None:
            Budget.objects.filter(pk=row.pk).update(
                updated_at=now, fetched_at=now, removed_at=None, **values
            )
            if budget_alarms(values["notifications"]) - budget_alarms(row.notifications):
                alarmed.append(row.pk)
            updated += 1
        else:
            unchanged += 1
    gone = [b.pk for b in existing.values() if b.removed_at is None]
    if gone:
        Budget.objects.filter(pk__in=gone).update(removed_at=now, updated_at=now)
    costs_announce(budget_alarm, budget_ids=alarmed)
    return new, updated + len(gone), unchanged
