"""Webhook subscriptions, their deliveries and each delivery's attempts."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import AwsAccount
from webhooks.choices import DeliveryStatus, WebhookEvent

__all__ = ["WebhookAttempt", "WebhookDelivery", "WebhookSubscription"]


class WebhookSubscription(models.Model):
    """A URL that receives signed events, with what it asks for.

    `secret` signs every delivery (HMAC-SHA256); it is stored because signing needs it and shown
    only once, when created or rotated (the API never returns it afterwards). Findings events are
    sent only for accounts the owner may see (and, when `accounts` is not empty, only those);
    `min_severity` and `sources` narrow findings (and `min_severity` anomalies) further.
    """

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=128)
    events: Any = models.JSONField(default=list)
    min_severity = models.CharField(max_length=16, blank=True, default="")
    sources: Any = models.JSONField(default=list, blank=True)
    accounts = models.ManyToManyField(AwsAccount, blank=True, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        permissions = [("manage_webhooks", "Manage webhook subscriptions and replay deliveries")]

    def __str__(self) -> str:
        return f"{self.name} ({self.url[:80]})"


class WebhookDelivery(models.Model):
    """One event for one subscription: its body as sent, its status and its attempts.

    `event_id` is the same on every attempt and replay (the receiver's idempotency key, header
    Watchpost-Event-Id); each delivery has its own `uid` (header Watchpost-Delivery).
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    event_id = models.UUIDField(default=uuid.uuid4)
    account_id = models.CharField(
        "account id",
        max_length=12,
        blank=True,
        default="",
        help_text="The member account the event concerns (empty for a ping): sent only while the "
        "subscription's owner sees it, listed only to people who see it.",
    )
    payload: Any = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["subscription", "-created_at"], name="webhook_sub_created")]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id}: {self.status}"


class WebhookAttempt(models.Model):
    """One HTTP try of a delivery: when, what answered (status, the start of the body), and when
    the next try was scheduled (`retry_in` seconds, null when none follows)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    retry_in = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.response_status or self.error}"
