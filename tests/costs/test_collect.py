"""`collect --source costs`: payer only, amounts to the cent, frugal with Cost Explorer requests."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import CollectionRun, SyncCursor
from costs.models import CeRequestLog, CostAnomaly, CostDaily, CostForecast
from costs.services import cost_plan
from costs.services.cost_sync import BACKFILL_DAYS, RECENT_DAYS
from tests.costs.conftest import PAYER, collect

SERVICES = ("Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service", "AWS Lambda")


def seed_costs(world, today: date, days: int = 100) -> None:
    """Amounts with many decimals, two services twice a day (AWS sums them), three accounts."""
    ce = world.ce(PAYER)
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        for n, account in enumerate(("111111111111", "222222222222", "333333333333")):
            for m, service in enumerate(SERVICES):
                ce.add_cost(day, account, service, 10.123456 + n * 3.3 + m + back / 7)
            ce.add_cost(day, account, SERVICES[0], 0.004999)


def emulator_sums(world) -> dict[tuple[date, str, str], Decimal]:
    sums: dict[tuple[date, str, str], Decimal] = defaultdict(Decimal)
    for row in world.ce(PAYER).costs:
        key = (date.fromisoformat(row["day"]), row["account"], row["service"])
        sums[key] += Decimal(str(row["amount"]))
    return sums


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def test_amounts_equal_the_emulators_to_the_cent(cost_org, clock):
    seed_costs(cost_org, clock.today)
    lines = collect("--source", "costs")
    assert lines[(PAYER, "us-east-1", "costs")][0] == "ok"
    expected = {
        k: v
        for k, v in emulator_sums(cost_org).items()
        if k[0] >= clock.today - timedelta(BACKFILL_DAYS)
    }
    stored = {(r.day, r.account_id, r.service): r.amount for r in CostDaily.objects.all()}
    assert set(stored) == set(expected)
    for key, amount in expected.items():
        assert isinstance(stored[key], Decimal)
        assert cents(stored[key]) == cents(amount), key


def test_member_accounts_record_skipped_for_costs(cost_org, clock):
    lines = collect("--source", "costs")
    for account in ("222222222222", "333333333333"):
        outcome = lines[(account, "us-east-1", "costs")]
        assert outcome[0] == "skipped" and "calls=0" in outcome
    assert lines[(PAYER, "us-east-1", "costs")][0] == "ok"


def test_a_day_straddling_two_pages_is_merged(cost_org, clock, emulator):
    seed_costs(cost_org, clock.today, days=3)
    cost_org.ce_page_groups = 4  # each day has 9 groups: days straddle pages
    collect("--source", "costs")
    assert emulator.count(service="ce", operation="GetCostAndUsage") > 3
    for back in range(1, 4):
        day = clock.today - timedelta(days=back)
        assert CostDaily.objects.filter(day=day).count() == 9
    assert {cents(r.amount) for r in CostDaily.objects.filter(service=SERVICES[0])} == {
        cents(v) for k, v in emulator_sums(cost_org).items() if k[2] == SERVICES[0]
    }


def test_the_request_counter_equals_the_calls_the_emulator_recorded(cost_org, clock, emulator):
    seed_costs(cost_org, clock.today, days=40)
    cost_org.ce_page_groups = 50
    cost_org.ce(PAYER).add_monitor(
        {
            "MonitorArn": "arn:aws:ce::111111111111:anomalymonitor/m1",
            "MonitorName": "services",
            "MonitorType": "DIMENSIONAL",
        }
    )
    for _ in range(3):
        collect("--source", "costs")
        clock.advance(timedelta(hours=8))
    logged = sum(CeRequestLog.objects.values_list("requests", flat=True))
    assert logged == emulator.count(service="ce") > 3
    runs = CollectionRun.objects.filter(source="costs", account__account_id=PAYER)
    # The runs count their AssumeRole; the hub's own GetCallerIdentity (learning Watchpost's
    # identity, once per collect) belongs to no run.
    sts = emulator.count(service="sts", operation="AssumeRole")
    assert sum(r.calls for r in runs) == logged + sts


def test_a_rerun_the_same_day_asks_only_the_recent_days_and_writes_nothing(
    cost_org, clock, emulator
):
    seed_costs(cost_org, clock.today)
    collect("--source", "costs")
    before = {r.pk: (r.amount, r.fetched_at) for r in CostDaily.objects.all()}
    emulator.reset_calls()
    lines = collect("--source", "costs")
    assert lines[(PAYER, "us-east-1", "costs")][1:3] == ["new=0", "updated=0"]
    assert {r.pk: (r.amount, r.fetched_at) for r in CostDaily.objects.all()} == before
    asked = [c.params for c in emulator.calls if c.operation == "GetCostAndUsage"]
    start = clock.today - timedelta(days=RECENT_DAYS)
    assert [p["TimePeriod"]["Start"] for p in asked] == [start.isoformat()]
    ops = {c.operation for c in emulator.calls if c.service == "ce"}
    assert ops == {"GetCostAndUsage", "GetAnomalies"}  # monitors and forecast are cached


def test_a_changed_day_is_updated_and_a_vanished_group_costs_zero(cost_org, clock):
    seed_costs(cost_org, clock.today, days=2)
    collect("--source", "costs")
    ce = cost_org.ce(PAYER)
    yesterday = (clock.today - timedelta(days=1)).isoformat()
    ce.costs = [r for r in ce.costs if not (r["day"] == yesterday and r["service"] == "AWS Lambda")]
    ce.add_cost(yesterday, "222222222222", "Amazon Athena", 5.5)
    clock.advance(timedelta(hours=8))
    lines = collect("--source", "costs")
    assert lines[(PAYER, "us-east-1", "costs")][1:3] == ["new=1", "updated=3"]
    gone = CostDaily.objects.filter(day=yesterday, service="AWS Lambda")
    assert gone.count() == 3 and {r.amount for r in gone} == {0}


def test_anomalies_keep_awss_numbers_and_no_percentage_when_aws_omits_it(cost_org, clock):
    ce = cost_org.ce(PAYER)
    start = (clock.today - timedelta(days=5)).isoformat()
    ce.add_anomaly({
        "AnomalyId": "zero-expected",
        "AnomalyStartDate": f"{start}T00:00:00Z",
        "AnomalyEndDate": f"{start}T00:00:00Z",
        "DimensionValue": "Amazon Athena",
        "RootCauses": [
            {"Service": "Amazon Athena", "LinkedAccount": "333333333333", "Impact": {"Contribution": 12.5}},
            {"Service": "Amazon Athena", "LinkedAccount": "222222222222", "Impact": {"Contribution": 75.5}},
        ],
        "AnomalyScore": {"MaxScore": 0.8, "CurrentScore": 0.4},
        "Impact": {"MaxImpact": 88.0, "TotalImpact": 88.0, "TotalActualSpend": 88.0,
                   "TotalExpectedSpend": 0.0},
        "MonitorArn": "arn:aws:ce::111111111111:anomalymonitor/m1",
    })  # fmt: skip
    collect("--source", "costs")
    anomaly = CostAnomaly.objects.get(anomaly_id="zero-expected")
    assert anomaly.total_impact_percentage is None
    assert anomaly.total_impact == Decimal("88.0") and anomaly.total_expected == 0
    assert anomaly.account_id == "222222222222"  # the largest root cause
    assert anomaly.derived_severity == "low"
    assert [c["LinkedAccount"] for c in anomaly.ranked_root_causes] == [
        "222222222222",
        "333333333333",
    ]


def test_the_forecast_to_month_end_is_stored_once_a_day(cost_org, clock, emulator):
    seed_costs(cost_org, clock.today, days=31)
    collect("--source", "costs")
    forecast = CostForecast.objects.get()
    assert forecast.start == clock.today and forecast.end.day == 1 and forecast.mean > 0
    collect("--source", "costs")
    assert emulator.count(service="ce", operation="GetCostForecast") == 1


def test_a_refused_anomaly_call_is_partial_and_keeps_the_costs(cost_org, clock, emulator):
    seed_costs(cost_org, clock.today, days=3)
    emulator.inject("ce", "GetAnomalies", "AccessDeniedException", times=None)
    lines = collect("--source", "costs")
    outcome = lines[(PAYER, "us-east-1", "costs")]
    assert outcome[0] == "partial" and "GetAnomalies" in " ".join(outcome)
    assert CostDaily.objects.count() == 27


def test_a_refused_cost_call_fails_and_still_logs_the_requests(cost_org, clock, emulator):
    emulator.inject("ce", "GetCostAndUsage", "AccessDeniedException", times=None)
    lines = collect("--source", "costs")
    assert lines[(PAYER, "us-east-1", "costs")][0] == "access_denied"
    assert sum(CeRequestLog.objects.values_list("requests", flat=True)) == 1
    assert not SyncCursor.objects.filter(source="costs").exists()


NOON = datetime(2024, 5, 14, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "now", "start", "daily"),
    [
        ({}, NOON, date(2024, 2, 14), True),  # first pass: BACKFILL_DAYS
        ({"daily_pass": "2024-05-13"}, NOON, date(2024, 5, 1), True),  # month to date
        ({"daily_pass": "2024-05-03"}, NOON.replace(day=4), date(2024, 4, 1), True),  # + April
        ({"daily_pass": "2024-05-14"}, NOON, date(2024, 5, 11), False),  # recent days only
        ({"daily_pass": "2024-05-02"}, NOON.replace(day=2), date(2024, 4, 29), False),
    ],
)
def test_cost_plan_refetches_only_days_that_can_still_change(state, now, start, daily):
    plan = cost_plan(state=state, now=now, full=False)
    assert (plan.cost_start, plan.daily_pass) == (start, daily)
    assert plan.cost_end == now.date() + timedelta(days=1)


def test_cost_plan_caches_monitors_a_day_and_the_forecast_per_day():
    fresh = {"daily_pass": "2024-05-14", "forecast_day": "2024-05-14",
             "monitors_at": (NOON - timedelta(hours=23)).isoformat()}  # fmt: skip
    plan = cost_plan(state=fresh, now=NOON, full=False)
    assert not plan.fetch_monitors and not plan.fetch_forecast
    stale = {**fresh, "monitors_at": (NOON - timedelta(hours=24)).isoformat()}
    assert cost_plan(state=stale, now=NOON, full=False).fetch_monitors
    full = cost_plan(state=fresh, now=NOON, full=True)
    assert full.fetch_monitors and full.fetch_forecast and full.cost_start == date(2024, 2, 14)
