"""Budgets: collected from every account with notification states; the status rule of docs/api.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costs.models import Budget
from costs.services import budget_status
from tests.costs.conftest import PAYER, collect

D = Decimal
ALARM = [{"type": "ACTUAL", "state": "ALARM"}]
FORECAST_ALARM = [{"type": "FORECASTED", "state": "ALARM"}]


def test_status_over_when_actual_is_above_the_limit():
    assert (
        budget_status(limit=D(100), actual=D("100.01"), forecast=D(50), notifications=[]) == "over"
    )


def test_status_forecast_over_when_only_the_forecast_is_above():
    assert (
        budget_status(limit=D(100), actual=D(10), forecast=D(101), notifications=[])
        == "forecast_over"
    )


def test_status_warning_when_an_actual_notification_is_in_alarm():
    assert (
        budget_status(limit=D(100), actual=D(10), forecast=D(20), notifications=ALARM) == "warning"
    )


def test_status_warning_at_80_percent_of_the_limit():
    assert budget_status(limit=D(100), actual=D(80), forecast=D(90), notifications=[]) == "warning"
    assert budget_status(limit=D(100), actual=D("79.99"), forecast=D(90), notifications=[]) == "ok"


def test_status_ok_otherwise_and_a_forecast_alarm_alone_is_not_a_warning():
    assert (
        budget_status(limit=D(100), actual=D(10), forecast=D(20), notifications=FORECAST_ALARM)
        == "ok"
    )


def test_first_match_wins():
    assert (
        budget_status(limit=D(100), actual=D(120), forecast=D(200), notifications=ALARM) == "over"
    )
    assert (
        budget_status(limit=D(100), actual=D(85), forecast=D(120), notifications=ALARM)
        == "forecast_over"
    )


@pytest.fixture
def budgets_org(cost_org):
    b = cost_org.budgets("222222222222")
    b.add_budget("over", 100.0, 120.0, 130.0)
    b.add_budget("forecast", 100.0, 50.0, 110.0)
    b.add_budget("alarm", 100.0, 30.0, 60.0, notifications=[
        {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 25.0}])  # fmt: skip
    b.add_budget("eighty", 100.0, 80.0, 95.0, notifications=[])
    b.add_budget("fine", 100.0, 10.0, 20.0)
    cost_org.budgets(PAYER).add_budget("org", 25000.0, 17400.5, 24100.25)
    return cost_org


def test_budgets_are_collected_with_spend_status_and_notification_states(budgets_org, clock):
    lines = collect("--source", "budgets")
    assert lines[("222222222222", "us-east-1", "budgets")][:2] == ["ok", "new=5"]
    assert lines[("333333333333", "us-east-1", "budgets")][:2] == ["ok", "new=0"]
    status = dict(Budget.objects.values_list("name", "status"))
    assert status == {"over": "over", "forecast": "forecast_over", "alarm": "warning",
                      "eighty": "warning", "fine": "ok", "org": "ok"}  # fmt: skip
    org = Budget.objects.get(name="org")
    assert (org.limit, org.actual, org.forecast) == (D("25000"), D("17400.50"), D("24100.25"))
    assert org.percent_used == D("69.60") and org.budget_type == "COST"
    alarm = Budget.objects.get(name="alarm").notifications
    assert alarm == [{"type": "ACTUAL", "comparison": "GREATER_THAN", "threshold": "25.0",
                      "threshold_type": "PERCENTAGE", "state": "ALARM"}]  # fmt: skip


def test_a_rerun_writes_nothing_and_a_deleted_budget_is_marked_removed(budgets_org, clock):
    collect("--source", "budgets")
    lines = collect("--source", "budgets")
    assert lines[("222222222222", "us-east-1", "budgets")][:4] == [
        "ok",
        "new=0",
        "updated=0",
        "unchanged=5",
    ]
    del budgets_org.budgets("222222222222").budgets["fine"]
    lines = collect("--source", "budgets")
    assert lines[("222222222222", "us-east-1", "budgets")][2] == "updated=1"
    assert Budget.objects.get(name="fine").removed_at is not None


def test_budgets_are_paged(budgets_org, clock, emulator):
    budgets_org.short_pages = True
    collect("--source", "budgets")
    assert Budget.objects.filter(account__account_id="222222222222").count() == 5
    assert (
        emulator.count(service="budgets", operation="DescribeBudgets", account_id="222222222222")
        > 1
    )
