"""Reads of the webhooks app: only for people who manage webhooks (fails closed)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = ["MANAGE_WEBHOOKS", "delivery_list_for_user", "subscription_list_for_user"]

MANAGE_WEBHOOKS = "webhooks.manage_webhooks"
User = AbstractBaseUser | AnonymousUser


def subscription_list_for_user(*, user: User) -> QuerySet[WebhookSubscription]:
    """Every subscription for those who manage webhooks (Admins); nothing for anyone else."""
    if not user.is_authenticated or not user.has_perm(MANAGE_WEBHOOKS):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.select_related("owner").prefetch_related("accounts")


def delivery_list_for_user(*, user: User) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, for those who manage webhooks; nothing for anyone else."""
    if not user.is_authenticated or not user.has_perm(MANAGE_WEBHOOKS):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("subscription", "replay_of")
