"""The Inspector report's coverage: scanned and not scanned resources, and where Inspector is not
enabled or could not be read (the latest collection of each account and region), scoped."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Max
from django.http import QueryDict

from accounts.choices import CheckOutcome
from accounts.models import CollectionRun
from accounts.selectors import account_ids_for_user
from findings.models import InspectorCoverage
from findings.selectors import User
from findings.sources.inspector import SOURCE as INSPECTOR

__all__ = ["COLLECTED", "NOT_SCANNED_ROWS", "coverage_for_user", "latest_runs"]

COLLECTED = (CheckOutcome.OK, CheckOutcome.PARTIAL)
NOT_SCANNED_ROWS = 200


def latest_runs(*, user: User, filters: QueryDict) -> list[dict[str, Any]]:
    """The latest Inspector collection of each account and region the person sees."""
    runs = CollectionRun.objects.filter(
        account__in=account_ids_for_user(user=user), source=INSPECTOR.name
    )
    runs = _narrow(runs, filters, account="account__account_id")
    latest = runs.order_by().values("account", "region").annotate(last=Max("id")).values("last")
    rows = (
        CollectionRun.objects.filter(id__in=latest)
        .order_by("account__account_id", "region")
        .values("account__account_id", "region", "outcome", "error", "finished_at")
    )
    return [dict(row) for row in rows]


def _narrow(qs: Any, filters: QueryDict, *, account: str) -> Any:
    if filters.getlist("account"):
        qs = qs.filter(**{f"{account}__in": filters.getlist("account")})
    if filters.getlist("region"):
        qs = qs.filter(region__in=filters.getlist("region"))
    return qs


def coverage_for_user(
    *, user: User, filters: QueryDict, runs: list[dict[str, Any]]
) -> dict[str, Any]:
    """Scanned and not scanned resources (by type and by AWS's reason), the ones not scanned,
    and the accounts and regions where Inspector is not enabled or could not be read."""
    covered = _narrow(
        InspectorCoverage.objects.filter(account__in=account_ids_for_user(user=user)),
        filters,
        account="account__account_id",
    )
    counts = list(
        covered.order_by().values("resource_type", "scanned", "reason").annotate(n=Count("id"))
    )
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"scanned": 0, "not_scanned": 0})
    reasons: Counter[str] = Counter()
    for row in counts:
        by_type[row["resource_type"]]["scanned" if row["scanned"] else "not_scanned"] += row["n"]
        if not row["scanned"]:
            reasons[row["reason"] or "UNKNOWN"] += row["n"]
    not_scanned = list(
        covered.filter(scanned=False)
        .order_by("account__account_id", "region", "resource_type", "resource_id")
        .values(
            "account__account_id", "region", "resource_type", "resource_id", "scan_type", "reason"
        )[:NOT_SCANNED_ROWS]
    )
    return {
        "scanned": sum(t["scanned"] for t in by_type.values()),
        "not_scanned": sum(t["not_scanned"] for t in by_type.values()),
        "by_resource_type": [{"resource_type": k, **v} for k, v in sorted(by_type.items())],
        "not_scanned_reasons": [{"reason": k, "count": n} for k, n in reasons.most_common()],
        "not_scanned_resources": [
            {
                "account_id": r["account__account_id"],
                "region": r["region"],
                "resource_type": r["resource_type"],
                "resource_id": r["resource_id"],
                "scan_type": r["scan_type"],
                "reason": r["reason"],
            }
            for r in not_scanned
        ],
        "not_enabled": [
            {
                "account_id": r["account__account_id"],
                "region": r["region"],
                "outcome": r["outcome"],
                "outcome_label": CheckOutcome(r["outcome"]).label,
                "error": r["error"],
            }
            for r in runs
            if r["outcome"] not in (*COLLECTED, CheckOutcome.SKIPPED, "")
        ],
    }
