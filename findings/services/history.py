"""Our own daily history of open findings, so trends reach back further than AWS's 90 days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import AwsAccount
from findings.models import Finding, FindingDailyCount

__all__ = ["finding_history_snapshot"]


def finding_history_snapshot(
    *, day: date | None = None, accounts: Iterable[AwsAccount] | None = None
) -> int:
    """Record today's (or `day`'s) open counts per account, source, severity and category.

    Idempotent per day: the day's rows of the accounts concerned (all when `accounts` is None) are
    replaced by the current counts, so the last snapshot of a day wins. Returns the rows written.
    """
    day = day or timezone.localdate()
    with transaction.atomic():
        findings = Finding.objects.open()
        kept = FindingDailyCount.objects.filter(day=day)
        if accounts is not None:
            pks = sorted(a.pk for a in accounts)
            # Two workers collecting two regions of one account at once would both delete the
            # day's rows and insert theirs (a unique violation): one snapshot per account at a
            # time, accounts locked in key order so two snapshots never wait on each other.
            list(AwsAccount.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
            findings = findings.filter(account_id__in=pks)
            kept = kept.filter(account_id__in=pks)
        return _replace(day, findings, kept)


def _replace(day: date, findings: Any, kept: Any) -> int:
    """The day's rows of `kept` replaced by the counts of `findings` (inside a transaction)."""
    rows = (
        findings.values("account_id", "source", "severity", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = [
        FindingDailyCount(
            day=day,
            account_id=row["account_id"],
            source=row["source"],
            severity=row["severity"],
            category=row["category"] or "",
            count=row["n"],
        )
        for row in rows
    ]
    kept.delete()
    FindingDailyCount.objects.bulk_create(counts)
    return len(counts)
