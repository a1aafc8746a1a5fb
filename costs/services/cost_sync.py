"""The costs source: payer-only collection of Cost Explorer, frugal with its USD 0.01 requests.

What each sync asks (`cost_plan`):
- costs: the last RECENT_DAYS days every sync (late usage lands there); once a UTC day, the month to
  date as well (AWS marks the open month "Estimated"), and until MONTH_SETTLE_DAY the previous
  month too (its bill is finalised in the first days of the next month); BACKFILL_DAYS on the first
  or a `--full` pass. Never the settled past again.
- the forecast to month end once a UTC day; anomaly monitors once a day (cached in the cursor's
  state); anomalies every sync (detection runs about 3 times a day), 30 days back, or the 90 days
  AWS keeps them on the daily pass.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from accounts.aws import AwsClient, AwsError
from accounts.choices import CheckOutcome
from accounts.collection import SyncContext, SyncResult
from accounts.models import AwsAccount
from costs import clock
from costs.choices import CeRequestPurpose
from costs.collectors import cost_explorer
from costs.collectors.cost_explorer import AnomalyRecord, CostWindow, ForecastRecord
from costs.models import CostAnomaly, CostDaily, CostForecast
from costs.services.requests import ce_requests_counted
from costs.severity import anomaly_severity
from costs.signals import anomaly_created, costs_announce

__all__ = ["CostPlan", "cost_plan", "costs_sync"]

BACKFILL_DAYS = 90
RECENT_DAYS = 3
MONTH_SETTLE_DAY = 5
MONITORS_MAX_AGE = timedelta(hours=24)
# AWS keeps anomalies 90 days; between daily passes only recent ones can still move.
ANOMALY_KEPT_DAYS = 90
ANOMALY_RECENT_DAYS = 30


@dataclass(frozen=True)
class CostPlan:
    """What one sync asks Cost Explorer for."""

    cost_start: date
    cost_end: date
    daily_pass: bool
    fetch_monitors: bool
    fetch_forecast: bool
    anomaly_start: date


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def cost_plan(*, state: dict[str, Any], now: datetime, full: bool) -> CostPlan:
    """The requests of one sync, from what the last complete syncs stored in `state`."""
    today = now.date()
    first = full or "daily_pass" not in state
    daily = first or state.get("daily_pass") != today.isoformat()
    start = today - timedelta(days=RECENT_DAYS)
    if first:
        start = today - timedelta(days=BACKFILL_DAYS)
    elif daily:
        open_from = _month_start(today)
        if today.day <= MONTH_SETTLE_DAY:
            open_from = _month_start(open_from - timedelta(days=1))
        start = min(start, open_from)
    monitors_at = state.get("monitors_at")
    stale = monitors_at is None or now - datetime.fromisoformat(monitors_at) >= MONITORS_MAX_AGE
    return CostPlan(
        cost_start=start,
        cost_end=today + timedelta(days=1),
        daily_pass=daily,
        fetch_monitors=first or stale,
        fetch_forecast=first or state.get("forecast_day") != today.isoformat(),
        anomaly_start=today
        - timedelta(days=(ANOMALY_KEPT_DAYS - 1) if daily else ANOMALY_RECENT_DAYS),
    )


@dataclass
class _Tally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, counts: tuple[int, int, int]) -> None:
        self.new += counts[0]
        self.updated += counts[1]
        self.unchanged += counts[2]


def costs_sync(ctx: SyncContext) -> SyncResult:
    """Collect the payer's costs, forecast and anomalies as `cost_plan` says; record every Cost
    Explorer request. Costs are required; a refused forecast or anomaly call makes it `partial`."""
    now = clock.now()
    plan = cost_plan(state=ctx.state, now=now, full=ctx.full)
    client = ctx.client("ce")
    counter = ctx.gateway.counter
    with ce_requests_counted(counter=counter, payer=ctx.account, purpose=CeRequestPurpose.SYNC):
        return _sync(ctx, client, plan, now)


def _sync(ctx: SyncContext, client: AwsClient, plan: CostPlan, now: datetime) -> SyncResult:
    state = dict(ctx.state)
    tally = _Tally()
    window = cost_explorer.daily_costs(client, start=plan.cost_start, end=plan.cost_end)
    tally.add(cost_rows_upsert(payer=ctx.account, window=window, fetched_at=now))
    if plan.daily_pass:
        state["daily_pass"] = now.date().isoformat()
    errors: list[str] = []
    try:
        if plan.fetch_forecast:
            forecast = _forecast(client, now.date())
            tally.add(forecast_upsert(payer=ctx.account, forecast=forecast, fetched_at=now))
            state["forecast_day"] = now.date().isoformat()
    except AwsError as exc:
        errors.append(str(exc))
    try:
        if plan.fetch_monitors:
            monitors = cost_explorer.anomaly_monitors(client)
            state["monitors"] = {m.arn: m.name for m in monitors}
            state["monitors_at"] = now.isoformat()
        records = cost_explorer.anomalies(client, start=plan.anomaly_start)
        counts = anomalies_upsert(
            payer=ctx.account, records=records, monitors=state.get("monitors", {}), now=now
        )
        tally.add(counts)
    except AwsError as exc:
        errors.append(str(exc))
    return SyncResult(
        new=tally.new,
        updated=tally.updated,
        unchanged=tally.unchanged,
        outcome=CheckOutcome.PARTIAL if errors else CheckOutcome.OK,
        error="; ".join(errors),
        cursor=now,
        state=state,
    )


def _forecast(client: AwsClient, today: date) -> ForecastRecord | None:
    return cost_explorer.month_forecast(client, start=today, end=_next_month(today))


def cost_rows_upsert(
    *, payer: AwsAccount, window: CostWindow, fetched_at: datetime
) -> tuple[int, int, int]:
    """Insert new days, update changed amounts, leave the rest untouched; a stored group that a
    re-read day no longer lists now costs 0. Returns (new, updated, unchanged)."""
    existing = {
        (r.day, r.account_id, r.service): r
        for r in CostDaily.objects.filter(payer=payer, day__gte=window.start, day__lt=window.end)
    }
    new: list[CostDaily] = []
    changed: list[CostDaily] = []
    unchanged = 0
    seen = set()
    for rec in window.records:
        key = (rec.day, rec.account_id, rec.service)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            new.append(
                CostDaily(
                    payer=payer,
                    day=rec.day,
                    account_id=rec.account_id,
                    service=rec.service,
                    amount=rec.amount,
                    unit=rec.unit,
                    estimated=rec.estimated,
                    fetched_at=fetched_at,
                )
            )
        elif (row.amount, row.unit, row.estimated) != (rec.amount, rec.unit, rec.estimated):
            row.amount, row.unit, row.estimated = rec.amount, rec.unit, rec.estimated
            row.fetched_at = fetched_at
            changed.append(row)
        else:
            unchanged += 1
    answered = set(window.days)
    for key, row in existing.items():
        if key not in seen and key[0] in answered and row.amount != 0:
            row.amount, row.fetched_at = 0, fetched_at
            changed.append(row)
    CostDaily.objects.bulk_create(new, batch_size=1000)
    CostDaily.objects.bulk_update(
        changed, ["amount", "unit", "estimated", "fetched_at"], batch_size=1000
    )
    return len(new), len(changed), unchanged


def forecast_upsert(
    *, payer: AwsAccount, forecast: ForecastRecord | None, fetched_at: datetime
) -> tuple[int, int, int]:
    """Store this month's forecast (one per payer and month); None (too little data) stores
    nothing."""
    if forecast is None:
        return 0, 0, 0
    values = {
        "start": forecast.start,
        "end": forecast.end,
        "mean": forecast.mean,
        "lower": forecast.lower,
        "upper": forecast.upper,
        "unit": forecast.unit,
        "fetched_at": fetched_at,
    }
    _row, created = CostForecast.objects.update_or_create(
        payer=payer, month=_month_start(forecast.start), defaults=values
    )
    return (1, 0, 0) if created else (0, 1, 0)


def _anomaly_values(rec: AnomalyRecord, payer: AwsAccount, monitor_name: str) -> dict[str, Any]:
    causes = sorted(
        rec.root_causes,
        key=lambda c: float(c.get("Impact", {}).get("Contribution") or 0),
        reverse=True,
    )
    top = causes[0] if causes else {}
    return {
        "payer": payer,
        "monitor_arn": rec.monitor_arn,
        "monitor_name": monitor_name,
        "account_id": top.get("LinkedAccount") or payer.account_id,
        "service": rec.dimension_value or top.get("Service", ""),
        "start_date": rec.start_date,
        "end_date": rec.end_date,
        "max_impact": rec.max_impact,
        "total_impact": rec.total_impact,
        "total_actual": rec.total_actual,
        "total_expected": rec.total_expected,
        "total_impact_percentage": rec.impact_percentage,
        "max_score": rec.max_score,
        "current_score": rec.current_score,
        "root_causes": list(rec.root_causes),
        "feedback": rec.feedback,
        "derived_severity": anomaly_severity(rec.total_impact),
        "raw": rec.raw,
    }


def _hash(raw: dict[str, Any], monitor_name: str) -> str:
    text = json.dumps([raw, monitor_name], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def anomalies_upsert(
    *, payer: AwsAccount, records: list[AnomalyRecord], monitors: dict[str, str], now: datetime
) -> tuple[int, int, int]:
    """Insert new anomalies, update those AWS changed (impact, end, feedback); leave the rest."""
    existing = {
        a.anomaly_id: a
        for a in CostAnomaly.objects.filter(anomaly_id__in=[r.anomaly_id for r in records])
    }
    new, updated, unchanged = 0, 0, 0
    created: list[int] = []
    for rec in records:
        name = monitors.get(rec.monitor_arn, "")
        digest = _hash(rec.raw, name)
        row = existing.get(rec.anomaly_id)
        if row is not None and row.content_hash == digest:
            unchanged += 1
            continue
        values = {**_anomaly_values(rec, payer, name), "content_hash": digest, "fetched_at": now}
        if row is None:
            row = CostAnomaly.objects.create(anomaly_id=rec.anomaly_id, updated_at=now, **values)
            created.append(row.pk)
            new += 1
        else:
            CostAnomaly.objects.filter(pk=row.pk).update(updated_at=now, **values)
            updated += 1
    costs_announce(anomaly_created, anomaly_ids=created)
    return new, updated, unchanged
