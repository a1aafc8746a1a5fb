"""AWS Budgets: declared once here; its collector is costs/collectors/budgets.py."""

from __future__ import annotations

from accounts.source_registry import Probe, SourceDeclaration

SOURCE = SourceDeclaration(
    name="budgets",
    label="Budgets",
    order=60,
    schedule_minutes=6 * 60,
    syncer="costs.services.budgets_sync",
    probe=Probe(
        "budgets",
        "describe_budgets",
        lambda account_id: {"AccountId": account_id, "MaxResults": 1},
    ),
    calls=("budgets:DescribeBudgets", "budgets:DescribeNotificationsForBudget"),
    # DescribeBudgets: MaxResults 1-1000 (default 100); one page holds every budget of most accounts.
    # DescribeNotificationsForBudget: MaxResults 1-100; a budget has at most 10 notifications.
    page_sizes={"DescribeBudgets": 1000, "DescribeNotificationsForBudget": 100},
    # Budgets' reads are all budgets:ViewBudget
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbudgetservice.html).
    iam_action_of={
        "budgets:DescribeBudgets": "budgets:ViewBudget",
        "budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
    },
    regional=False,
)
