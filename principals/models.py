"""Principals seen in CloudTrail, their daily activity by event class, and the events behind tiers."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from accounts.models import AwsAccount
from principals.choices import EventClass, IdentityType, TierRule, UserTier

__all__ = ["Principal", "PrincipalActivity", "PrincipalEvent"]


class Principal(models.Model):
    """Who acts in a member account, keyed on (account, identity), with its tier.

    `identity` is the principal's key: an IAM user's or root's ARN, the role's ARN for every session
    of an assumed role (session names kept in `sessions`), `aws-service:<name>` for an AWS service.
    `tier` is null for AWS services. `evidence` is what principals.services wrote when it
    last recomputed the tier: the rule, its sentence, the events that set it, counts in the window.
    """

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="principals")
    identity = models.CharField(max_length=512)
    identity_type = models.CharField(max_length=16, choices=IdentityType.choices)
    arn = models.CharField(max_length=512, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    principal_id = models.CharField(max_length=255, blank=True, default="")
    sessions = models.JSONField(
        default=list, blank=True, help_text="Latest session names of an assumed role, newest first."
    )
    tier = models.CharField(max_length=16, choices=UserTier.choices, null=True, blank=True)  # noqa: DJ001
    tier_rule = models.CharField(max_length=16, choices=TierRule.choices, blank=True, default="")
    tier_since = models.DateTimeField(
        null=True, blank=True, help_text="When the tier last changed."
    )
    evidence: Any = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True, help_text="Latest event, any outcome.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "findings_principal"  # made by the findings app, before principals had one
        ordering = ["account__account_id", "identity_type", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "identity"], name="principal_unique_identity"
            )
        ]
        indexes = [
            models.Index(fields=["tier", "identity_type"], name="principal_tier_type"),
            models.Index(fields=["last_seen"], name="principal_last_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.identity} ({self.tier or 'no tier'})"


class PrincipalActivity(models.Model):
    """One principal's events of one UTC day in one region, counted by class; failures apart."""

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="activity")
    region = models.CharField(max_length=32)
    day = models.DateField()
    high_risk = models.PositiveIntegerField(default=0)
    write = models.PositiveIntegerField(default=0)
    sensitive_read = models.PositiveIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    failed_high_risk = models.PositiveIntegerField(default=0)
    failed_write = models.PositiveIntegerField(default=0)
    failed_sensitive_read = models.PositiveIntegerField(default=0)
    failed_read = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "findings_principalactivity"
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "region", "day"], name="principal_activity_unique_day"
            )
        ]
        indexes = [models.Index(fields=["day"], name="principal_activity_day")]

    def __str__(self) -> str:
        return f"{self.principal_id} {self.region} {self.day}"


class PrincipalEvent(models.Model):
    """One of the latest events of a principal per class and outcome: the evidence of its tier.

    Only the latest few of each (class, succeeded or failed) are kept, never every event.
    """

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=128)
    event_time = models.DateTimeField()
    event_name = models.CharField(max_length=128)
    event_source = models.CharField(max_length=128)
    region = models.CharField(max_length=32)
    event_class = models.CharField(max_length=16, choices=EventClass.choices)
    failed = models.BooleanField(default=False)
    error_code = models.CharField(max_length=128, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    session_name = models.CharField(max_length=128, blank=True, default="")
    source_ip = models.CharField(max_length=255, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")

    class Meta:
        db_table = "findings_principalevent"
        ordering = ["-event_time", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "event_id"], name="principal_event_unique_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["principal", "event_class", "failed", "event_time"],
                name="principal_event_class",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%d %H:%M} {self.event_source} {self.event_name}"
