"""Choices of the webhooks app: the events a subscription may ask for, a delivery's status."""

from __future__ import annotations

from django.db import models


class WebhookEvent(models.TextChoices):
    """An event delivered to subscribers (docs/api.md, Webhooks)."""

    FINDING_CREATED = "finding.created", "Finding created"
    FINDING_UPDATED = "finding.updated", "Finding updated"
    FINDING_REOPENED = "finding.reopened", "Finding reopened"
    FINDING_RESOLVED = "finding.resolved", "Finding resolved"
    ANOMALY_CREATED = "anomaly.created", "Cost anomaly created"
    BUDGET_ALARM = "budget.alarm", "Budget alarm"
    PING = "ping", "Ping (a test sent on demand)"


SUBSCRIBABLE_EVENTS: tuple[str, ...] = tuple(e for e in WebhookEvent.values if e != "ping")


class DeliveryStatus(models.TextChoices):
    """Where a delivery is: waiting for an attempt, being sent, retrying, done, or given up."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
