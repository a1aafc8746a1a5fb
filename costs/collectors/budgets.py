"""AWS Budgets: every budget of one account with its notifications and their OK / ALARM state.
Pure AWS talk: no database, no settings. Raises the accounts.aws exceptions.

https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_DescribeBudgets.html
https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_DescribeNotificationsForBudget.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from accounts.aws import AwsClient
from costs.sources.budgets import SOURCE

# Declared with the source (costs/sources/budgets.py).
BUDGETS_PAGE = SOURCE.page_sizes["DescribeBudgets"]
NOTIFICATIONS_PAGE = SOURCE.page_sizes["DescribeNotificationsForBudget"]


@dataclass(frozen=True)
class NotificationRecord:
    """One notification of a budget: ACTUAL or FORECASTED, its threshold, and AWS's state."""

    notification_type: str
    comparison: str
    threshold: Decimal
    threshold_type: str
    state: str

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.notification_type,
            "comparison": self.comparison,
            "threshold": str(self.threshold),
            "threshold_type": self.threshold_type,
            "state": self.state,
        }


@dataclass(frozen=True)
class BudgetRecord:
    """One budget as AWS gave it."""

    name: str
    budget_type: str
    time_unit: str
    limit: Decimal | None
    unit: str
    actual: Decimal | None
    forecast: Decimal | None
    period_start: datetime | None
    period_end: datetime | None
    notifications: tuple[NotificationRecord, ...]
    raw: dict[str, Any]


def _spend(value: dict[str, Any] | None) -> Decimal | None:
    return Decimal(value["Amount"]) if value and "Amount" in value else None


def account_budgets(client: AwsClient, *, account_id: str) -> list[BudgetRecord]:
    """Every budget of `account_id` with its notifications."""
    budgets = [
        b
        for page in client.pages("describe_budgets", AccountId=account_id, MaxResults=BUDGETS_PAGE)
        for b in page.get("Budgets", [])
    ]
    return [
        _record(b, _notifications(client, account_id=account_id, name=b["BudgetName"]))
        for b in budgets
    ]


def _notifications(
    client: AwsClient, *, account_id: str, name: str
) -> tuple[NotificationRecord, ...]:
    pages = client.pages(
        "describe_notifications_for_budget",
        AccountId=account_id,
        BudgetName=name,
        MaxResults=NOTIFICATIONS_PAGE,
    )
    return tuple(
        NotificationRecord(
            notification_type=n["NotificationType"],
            comparison=n["ComparisonOperator"],
            threshold=Decimal(str(n["Threshold"])),
            threshold_type=n.get("ThresholdType", "PERCENTAGE"),
            state=n.get("NotificationState", ""),
        )
        for page in pages
        for n in page.get("Notifications", [])
    )


def _record(raw: dict[str, Any], notifications: tuple[NotificationRecord, ...]) -> BudgetRecord:
    limit = raw.get("BudgetLimit")
    spend = raw.get("CalculatedSpend", {})
    period = raw.get("TimePeriod", {})
    return BudgetRecord(
        name=raw["BudgetName"],
        budget_type=raw.get("BudgetType", ""),
        time_unit=raw.get("TimeUnit", ""),
        limit=_spend(limit),
        unit=(limit or spend.get("ActualSpend") or {}).get("Unit", "USD"),
        actual=_spend(spend.get("ActualSpend")),
        forecast=_spend(spend.get("ForecastedSpend")),
        period_start=period.get("Start"),
        period_end=period.get("End"),
        notifications=notifications,
        raw=raw,
    )
