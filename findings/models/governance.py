"""Governance of findings: the SLA per severity and risk acceptances (issue 17)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from findings.choices import FindingSource, Severity

__all__ = ["RiskAcceptance", "SlaPolicy"]

SLA_MAX_DAYS = 3650


class SlaPolicy(models.Model):
    """The days an open finding of one severity may stay open (findings.governance.sla).

    One row per severity an Admin has set; a severity without a row keeps its default
    (sla.DEFAULT_SLA_DAYS). Informational findings have no SLA. Changes are audited.
    """

    severity = models.CharField(
        max_length=16,
        unique=True,
        choices=[(s.value, s.label) for s in Severity if s != Severity.INFORMATIONAL],
    )
    days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(SLA_MAX_DAYS)]
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "SLA"
        permissions = [("manage_sla", "Change the SLA of each severity")]

    def __str__(self) -> str:
        return f"SLA {self.severity}: {self.days} days"


class RiskAcceptance(models.Model):
    """A rule that accepts the risk of the findings it matches until it expires.

    Matching (findings.governance.acceptance): every criterion given must hold; `accounts` empty
    means every account in `scope_accounts` (what its creator could see when it was made, so a
    rule never reaches an account its creator cannot see). `finding` set: that finding alone.
    Matched findings get status `accepted` and point here (Finding.risk_acceptance); on expiry or
    deletion they go back to `open`.
    """

    reason = models.TextField()
    expires_at = models.DateTimeField(db_index=True)
    accounts = models.JSONField(default=list, blank=True, help_text="Account ids; [] = all seen.")
    scope_accounts = models.JSONField(
        default=list, help_text="The account ids its creator could see when it was made."
    )
    ou = models.CharField(max_length=68, blank=True, default="", help_text="ou-... or r-...")
    sources = models.JSONField(
        default=list, blank=True, help_text=f"Any of {', '.join(FindingSource.values)}."
    )
    type_prefix = models.CharField(max_length=255, blank=True, default="")
    resource_id = models.CharField(max_length=1024, blank=True, default="")
    resource_tag = models.CharField(
        max_length=512, blank=True, default="", help_text="key=value of an Inspector resource tag."
    )
    min_severity = models.CharField(max_length=16, blank=True, default="", choices=Severity.choices)
    max_severity = models.CharField(max_length=16, blank=True, default="", choices=Severity.choices)
    finding = models.ForeignKey(
        "findings.Finding", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True, default="")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When its expiry was applied (its findings reopened)."
    )

    class Meta:
        ordering = ["expires_at", "id"]
        permissions = [("manage_risk_acceptance", "Accept the risk of findings (approve rules)")]

    def __str__(self) -> str:
        return f"risk acceptance {self.pk} until {self.expires_at:%Y-%m-%d}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()
