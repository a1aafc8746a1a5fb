"""Template context shared by every page: the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# (label, URL name, permission needed or None)
NAVIGATION: list[tuple[str, str, str | None]] = [
    ("Overview", "findings:overview", None),
    ("Findings", "findings:finding_list", None),
    ("Categories", "findings:categories", None),
    ("Macie", "findings:macie", None),
    ("Users", "principals:principal_list", None),
    ("Inspector", "findings:inspector_report", None),
    ("Costs", "costs:overview", None),
    ("Anomalies", "costs:anomaly_list", None),
    ("Budgets", "costs:budget_list", None),
    ("Accounts", "accounts:account_list", None),
    ("Collection health", "collection_health", None),
    ("Webhooks", "webhooks:webhook_list", "webhooks.manage_webhooks"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation entries this person may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    return {
        "navigation": [
            (label, name) for label, name, perm in NAVIGATION if perm is None or user.has_perm(perm)
        ]
    }
