"""AWS Budgets: DescribeBudgets and DescribeNotificationsForBudget.

Implemented here, not by moto: moto does not page DescribeBudgets, leaves NotificationState out
and keeps process-global state. https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_DescribeBudgets.html
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..paging import fingerprint, page
from ..registry import RequestContext, invalid_token, operation
from ._common import clone

if TYPE_CHECKING:
    from ..world import World

# DescribeBudgets MaxResults 1-1000 (model), default 100 (API reference).
BUDGETS_DEFAULT = 100
# DescribeNotificationsForBudget MaxResults 1-100 (model).
NOTIFICATIONS_DEFAULT = 100


def _money(amount: float, unit: str) -> dict[str, str]:
    return {"Amount": f"{amount:.2f}", "Unit": unit}


class BudgetsState:
    """One account's budgets (boto3 shape) and their notifications."""

    def __init__(self, world: World, account_id: str) -> None:
        self.world = world
        self.account_id = account_id
        self.budgets: dict[str, dict[str, Any]] = {}
        self.notifications: dict[str, list[dict[str, Any]]] = {}

    def add_budget(
        self,
        name: str,
        limit: float,
        actual: float = 0.0,
        forecast: float | None = None,
        *,
        budget_type: str = "COST",
        time_unit: str = "MONTHLY",
        unit: str = "USD",
        notifications: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a budget; notifications default to ACTUAL > 80% and FORECASTED > 100%.

        NotificationState is computed from actual/forecast against the threshold.
        """
        now = self.world.clock()
        budget: dict[str, Any] = {
            "BudgetName": name,
            "BudgetLimit": _money(limit, unit),
            "TimeUnit": time_unit,
            "TimePeriod": {
                "Start": datetime(now.year, now.month, 1, tzinfo=now.tzinfo),
                "End": datetime(2087, 6, 15, tzinfo=now.tzinfo),
            },
            "CalculatedSpend": {
                "ActualSpend": _money(actual, unit),
                "ForecastedSpend": _money(actual if forecast is None else forecast, unit),
            },
            "BudgetType": budget_type,
            "LastUpdatedTime": now,
        }
        budget.update(extra)
        self.budgets[name] = budget
        rules = notifications or [
            {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0},
            {
                "NotificationType": "FORECASTED",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": 100.0,
            },
        ]
        spent = {"ACTUAL": actual, "FORECASTED": actual if forecast is None else forecast}
        self.notifications[name] = []
        for rule in rules:
            rule = {"ThresholdType": "PERCENTAGE", **clone(rule)}
            if "NotificationState" not in rule:
                used = spent[rule["NotificationType"]] / limit * 100 if limit else 0.0
                rule["NotificationState"] = "ALARM" if used > rule["Threshold"] else "OK"
            self.notifications[name].append(rule)
        return clone(budget)


def _state(context: RequestContext, account_id: str) -> BudgetsState:
    if account_id != context.account_id:
        raise AwsError(
            "AccessDeniedException",
            f"User: {context.identity.arn} is not authorized to perform: budgets:ViewBudget",
            400,
        )
    return context.world.budgets(account_id)


@operation("budgets", "DescribeBudgets")
def describe_budgets(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The account's budgets, 100 a page by default (1000 at most)."""
    state = _state(context, params["AccountId"])
    chunk, token = page(
        [state.budgets[name] for name in sorted(state.budgets)],
        size=params.get("MaxResults", BUDGETS_DEFAULT),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("budgets"),
    )
    return {"Budgets": clone(chunk), **({"NextToken": token} if token else {})}


@operation("budgets", "DescribeNotificationsForBudget")
def describe_notifications(context: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A budget's notifications with their OK / ALARM state."""
    state = _state(context, params["AccountId"])
    name = params["BudgetName"]
    if name not in state.budgets:
        raise AwsError(
            "NotFoundException", f"Unable to get budget: {name} - the budget doesn't exist.", 400
        )
    chunk, token = page(
        state.notifications[name],
        size=params.get("MaxResults", NOTIFICATIONS_DEFAULT),
        token=params.get("NextToken"),
        print_=fingerprint(params, ("NextToken", "MaxResults")),
        short=context.short_pages,
        invalid=lambda: invalid_token("budgets"),
    )
    return {"Notifications": clone(chunk), **({"NextToken": token} if token else {})}
