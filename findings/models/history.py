"""A finding's own history, our daily open counts, and the clock that orders changes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import AwsAccount
from findings.choices import FindingEventKind, FindingSource, Severity
from findings.models.finding import Finding

__all__ = ["FindingChangeClock", "FindingDailyCount", "FindingEvent", "FindingOpenCount"]


class FindingEvent(models.Model):
    """Something that happened to a finding: collected, updated, archived, gone, reopened, triaged.

    `actor` is the person who did it, or null for collection (then `actor_name` is empty).
    `changes` maps a field to [before, after]. Never edited, never deleted (but with the finding).
    """

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=FindingEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, default="")
    changes: Any = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["finding", "at"], name="finding_event_at"),
            # What happened in a period (the report's resolved findings and time to resolve).
            models.Index(fields=["kind", "at"], name="finding_event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class FindingDailyCount(models.Model):
    """Open findings per day, account, source, severity and category: trends beyond AWS's 90 days.

    Written by findings.services.finding_history_snapshot, which replaces a day's rows of an account
    (the last snapshot of a day wins). `category` is "" for uncategorised findings.
    """

    day = models.DateField()
    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=FindingSource.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    category = models.CharField(max_length=64, blank=True, default="")
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "account", "source", "severity", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "account", "source", "severity", "category"],
                name="finding_daily_count_unique",
            )
        ]
        indexes = [models.Index(fields=["day"], name="finding_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.source} {self.severity}: {self.count}"


class FindingChangeClock(models.Model):
    """One row: the last `updated_at` handed out, so change times follow commit order.

    Every write to findings locks this row first (select_for_update) and takes a time later than the
    last one, then commits: writers are serialized, so a change feed reading (updated_at, id) in
    order can never see a later time before an earlier one has committed (docs/architecture.md, Change feed).
    """

    last = models.DateTimeField()

    def __str__(self) -> str:
        return f"finding change clock at {self.last.isoformat()}"


class FindingOpenCount(models.Model):
    """Open findings now, per account, source, severity, category ("" for none) and type.

    Kept by PostgreSQL itself: statement-level triggers on findings_finding (migration 0008) add
    the open rows each INSERT, UPDATE or DELETE statement brings and subtract those it takes away,
    whatever code wrote them (the upsert, the workflow, a migration), in the same transaction. The
    overview, summary/ and categories read it instead of counting a million rows
    (findings.selectors.open_counts). SQLite (the demo) has no triggers: there they count live.
    `account` has no database constraint, so deleting an account never trips on a count of it;
    readers join the account, which leaves out counts of deleted ones.
    """

    account = models.ForeignKey(
        AwsAccount, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    source = models.CharField(max_length=16, choices=FindingSource.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    category = models.CharField(max_length=64, blank=True, default="")
    type = models.CharField(max_length=255)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "source", "severity", "category", "type"],
                name="finding_open_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.source} {self.severity} {self.type}: {self.n}"
