"""The one Finding model every source shares, keyed on (source, AWS id)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils import timezone

from accounts.models import AwsAccount
from findings.choices import (
    OPEN_STATUSES,
    AwsState,
    FindingSource,
    FindingStatus,
    Severity,
)

__all__ = [
    "SEARCH_FIELDS",
    "Finding",
    "FindingQuerySet",
    "JoinedText",
    "console_url",
    "search_text",
]

# What the free-text filter `q` reads. A field added here changes search_text(), hence the trigram
# index over it: make a migration (makemigrations sees the index change).
SEARCH_FIELDS: tuple[str, ...] = ("title", "description", "resource_id", "remote_ip", "source_id")


class JoinedText(Func):
    """`(a || '\n' || b ...)`: the columns are NOT NULL, so no COALESCE (the index and the
    query must write the same expression for PostgreSQL to use the index)."""

    template = "(%(expressions)s)"
    arg_joiner = " || "
    output_field = models.TextField()


def search_text() -> Func:
    """The searched fields as one text, newline apart: one pg_trgm GIN index answers `q` over all
    of them (findings.filtersets.FindingFilterSet.filter_q)."""
    parts: list[Any] = []
    for name in SEARCH_FIELDS:
        parts += [F(name), Value("\n")]
    return JoinedText(*parts[:-1])


class FindingQuerySet(models.QuerySet["Finding"]):
    """Queries over findings. Reads for people start from findings.selectors, never from here."""

    def open(self) -> FindingQuerySet:
        """Open findings (docs/api.md, Findings): AWS says active and our status is open or acknowledged."""
        return self.filter(aws_state=AwsState.ACTIVE, status__in=OPEN_STATUSES)


class Finding(models.Model):
    """A finding of GuardDuty, Macie or Inspector in one member account and region.

    Stored once per (source, source_id), the payload kept as AWS gave it. `updated_at` is when our copy
    last changed (AWS's data, its state, or our workflow): it is set by findings.services with the
    change clock, never by `auto_now`, so a collect that finds nothing new leaves it alone.
    `status` (ours) and `aws_state` (AWS's) never overwrite each other.
    """

    source = models.CharField(max_length=16, choices=FindingSource.choices)
    source_id = models.CharField(
        max_length=512, help_text="AWS's Id (GuardDuty, Macie) or the finding ARN (Inspector)."
    )
    # Indexed with id (Meta.indexes: finding_account_id), which also serves ordering=account.
    account = models.ForeignKey(
        AwsAccount, on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    region = models.CharField(max_length=32)
    type = models.CharField(max_length=255)
    title = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="")

    severity = models.CharField(max_length=16, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(default=0, help_text="critical 4 .. info 0")
    severity_score = models.FloatField(null=True, blank=True, help_text="AWS's number as given.")
    native_severity = models.CharField(max_length=64, blank=True, default="")
    # null: not categorised (the API answers null, distinct from any label: docs/api.md)
    category = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    category_tags = models.JSONField(
        default=list, blank=True, help_text="Secondary categories (findings.categories)."
    )

    status = models.CharField(
        max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_findings",
    )
    ticket_ref = models.CharField(max_length=200, blank=True, default="")
    aws_state = models.CharField(max_length=16, choices=AwsState.choices, default=AwsState.ACTIVE)
    # The live rule that accepted it (status `accepted`); null otherwise. Indexed by Meta.
    risk_acceptance = models.ForeignKey(
        "findings.RiskAcceptance",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
        db_index=False,
    )

    service_count = models.PositiveIntegerField(
        default=1, help_text="Occurrences AWS folded into this finding (GuardDuty Service.Count)."
    )
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    aws_created_at = models.DateTimeField(null=True, blank=True)
    aws_updated_at = models.DateTimeField(null=True, blank=True)

    resource_type = models.CharField(max_length=64, blank=True, default="")
    resource_id = models.CharField(max_length=1024, blank=True, default="")
    action_type = models.CharField(max_length=64, blank=True, default="")
    remote_ip = models.CharField(max_length=64, blank=True, default="")
    port = models.PositiveIntegerField(null=True, blank=True, help_text="Local port acted on.")
    domain = models.CharField(max_length=512, blank=True, default="")
    country = models.CharField(max_length=100, blank=True, default="")
    country_code = models.CharField(max_length=8, blank=True, default="")
    organisation = models.CharField(max_length=255, blank=True, default="")
    asn = models.CharField(max_length=32, blank=True, default="")
    threat_list_name = models.CharField(max_length=255, blank=True, default="")
    # Macie: where the data is, what it holds, who did it.
    bucket = models.CharField(max_length=255, blank=True, default="")
    object_key = models.TextField(blank=True, default="")
    sensitive_data = models.JSONField(
        default=dict, blank=True, help_text="Sensitive data category -> occurrences (Macie)."
    )
    public_access = models.BooleanField(
        null=True, blank=True, help_text="The bucket or object is public (Macie)."
    )
    identity_type = models.CharField(
        max_length=32, blank=True, default="", help_text="The actor's identity type (Macie policy)."
    )

    raw: Any = models.JSONField(default=dict, help_text="The payload as AWS gave it.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of what AWS gave us.")
    created_at = models.DateTimeField(default=timezone.now, help_text="First collected.")
    updated_at = models.DateTimeField(default=timezone.now, help_text="Our copy last changed.")

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [
            ("change_workflow", "Change the status, assignee and ticket of findings"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="finding_unique_source_id")
        ]
        # Every offered ordering has an index ending in id (keyset pages read only the page);
        # every filter that can select few rows has one too (docs/architecture.md, Reading at
        # scale). PostgreSQL-only indexes are created by PostgresOnlyAddIndex migrations.
        indexes = [
            # The change feed and the default ordering: keyset on (updated_at, id).
            models.Index(fields=["updated_at", "id"], name="finding_updated_id"),
            # A source's latest change (findings.report_cache's data version).
            models.Index(fields=["source", "updated_at"], name="finding_source_updated"),
            # Collection scopes (gone, archived sweep) and the per-account filters.
            models.Index(
                fields=["account", "source", "region", "aws_state"], name="finding_target"
            ),
            # Open counts (summary, overview, categories, daily history): covering, so they are
            # read from the index alone (PostgreSQL; elsewhere the INCLUDE is left out).
            models.Index(
                fields=["aws_state", "status", "severity"],
                include=["source", "account", "category", "type"],
                name="finding_open_cover",
            ),
            # The sort orders, each ending in id: keyset pages (core.keyset).
            models.Index(
                fields=["severity_rank", "severity_score", "id"], name="finding_severity_id"
            ),
            models.Index(fields=["severity_score", "id"], name="finding_score_id"),
            models.Index(fields=["last_seen", "id"], name="finding_last_seen_id"),
            models.Index(fields=["first_seen", "id"], name="finding_first_seen_id"),
            models.Index(fields=["service_count", "id"], name="finding_count_id"),
            models.Index(fields=["account", "id"], name="finding_account_id"),
            models.Index(fields=["region", "id"], name="finding_region_id"),
            models.Index(fields=["status", "id"], name="finding_status_id"),
            models.Index(fields=["type", "id"], name="finding_type_id"),
            # Filters: `type` is a prefix (LIKE 'x%' needs the pattern operator class).
            models.Index(
                fields=["type"], opclasses=["varchar_pattern_ops"], name="finding_type_prefix"
            ),
            models.Index(fields=["remote_ip"], name="finding_remote_ip"),
            # sla_breached (findings.governance.sla): open rows by severity and first_seen,
            # covering the account (breaches per account are read from the index alone).
            models.Index(
                fields=["severity", "first_seen"],
                include=["account"],
                condition=Q(aws_state="active", status__in=["open", "acknowledged"]),
                name="finding_open_sla",
            ),
            # A rule's findings (its `matched`, its expiry): only the accepted rows.
            models.Index(
                fields=["risk_acceptance"],
                condition=Q(risk_acceptance__isnull=False),
                name="finding_risk_acceptance",
            ),
            models.Index(fields=["category"], name="finding_category"),
            models.Index(fields=["bucket"], name="finding_bucket"),
            models.Index(fields=["resource_id"], name="finding_resource"),
            # `q`: trigrams of the searched text (PostgreSQL only).
            GinIndex(OpClass(search_text(), name="gin_trgm_ops"), name="finding_text_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id} ({self.severity})"

    @property
    def is_open(self) -> bool:
        """Open as docs/api.md (Findings) means it: AWS says active, our status is open or acknowledged."""
        return self.aws_state == AwsState.ACTIVE and self.status in OPEN_STATUSES

    @property
    def console_url(self) -> str:
        """The finding in the AWS console of its region."""
        return console_url(source=self.source, region=self.region, source_id=self.source_id)


def _console_host(region: str) -> str:
    # China and GovCloud have consoles of their own.
    if region.startswith("cn-"):
        return f"{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return f"{region}.console.amazonaws-us-gov.com"
    return f"{region}.console.aws.amazon.com"


@lru_cache(maxsize=4096)
def _console_base(source: str, region: str) -> tuple[str, bool]:
    """The console address of a (source, region) before the finding's id, and whether the id
    follows it (lists call console_url for every row of a page: this part is made once)."""
    host = _console_host(region)
    if source == FindingSource.GUARDDUTY:
        return f"https://{host}/guardduty/home?region={region}#/findings?macros=current&fId=", True
    if source == FindingSource.MACIE:
        return f"https://{host}/macie/home?region={region}#findings?itemId=", True
    return f"https://{host}/inspector/v2/home?region={region}#/findings/all", False


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote(safe="") leaves as it is


def console_url(*, source: str, region: str, source_id: str) -> str:
    """The AWS console page of a finding (the service's findings page when it has no deep link)."""
    base, with_id = _console_base(source, region)
    if not with_id:
        return base
    return base + (source_id if _UNRESERVED.fullmatch(source_id) else quote(source_id, safe=""))
