"""Our own daily history of open findings, so trends reach back further than AWS's 90 days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import AwsAccount
from findings.models import Finding, FindingDailyCount, FindingOpenCount

__all__ = ["finding_history_snapshot"]


def finding_history_snapshot(
    *, day: date | None = None, accounts: Iterable[AwsAccount] | None = None
) -> int:
    """Record today's (or `day`'s) open counts per account, source, severity and category.

    Idempotent per day: the day's rows of the accounts concerned (all when `accounts` is None) are
    replaced by the current counts, so the last snapshot of a day wins. Returns the rows written.
    On PostgreSQL the counts come from those the database keeps (FindingOpenCount, a row per
    account, source, severity, category and type), so a snapshot after every collect costs the
    same at a million findings as at ten; elsewhere they are counted live.
    """
    day = day or timezone.localdate()
    pks = None if accounts is None else sorted(a.pk for a in accounts)
    with transaction.atomic():
        kept = FindingDailyCount.objects.filter(day=day)
        if pks is not None:
            # Two workers collecting two regions of one account at once would both delete the
            # day's rows and insert theirs (a unique violation): one snapshot per account at a
            # time, accounts locked in key order so two snapshots never wait on each other.
            list(AwsAccount.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
            kept = kept.filter(account_id__in=pks)
        return _replace(day, _open_counts(pks), kept)


def _replace(day: date, rows: Any, kept: Any) -> int:
    """The day's rows of `kept` replaced by `rows` of open counts (inside a transaction)."""
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
        if row["n"] > 0
    ]
    kept.delete()
    FindingDailyCount.objects.bulk_create(counts)
    return len(counts)


def _open_counts(pks: list[int] | None) -> Any:
    """Rows of account_id, source, severity, category and n (open findings) of the accounts `pks`
    (all when None)."""
    if connection.vendor == "postgresql":
        # Counts of a deleted account (no database constraint on it) are left out.
        counted = FindingOpenCount.objects.filter(account_id__in=AwsAccount.objects.values("pk"))
        if pks is not None:
            counted = counted.filter(account_id__in=pks)
        return (
            counted.values("account_id", "source", "severity", "category")
            .annotate(n=Sum("n"))
            .filter(n__gt=0)
            .order_by()
        )
    findings = Finding.objects.open()
    if pks is not None:
        findings = findings.filter(account_id__in=pks)
    return (
        findings.values("account_id", "source", "severity", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
