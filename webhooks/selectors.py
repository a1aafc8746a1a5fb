"""Reads of the webhooks app: only for people who manage webhooks (fails closed), and only what
their accounts allow.

A subscription is listed to its owner, and to another person who manages webhooks only when that
person sees every account it can deliver (its chosen accounts, or every account its owner sees):
so nobody reads, replays or changes a subscription that carries more than they may see. A
delivery is listed with its subscription, and only when its account is one the person sees.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from accounts.selectors import account_scope_for_user
from webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "MANAGE_WEBHOOKS",
    "delivery_list_for_user",
    "subscription_list_for_user",
    "subscription_reach",
]

MANAGE_WEBHOOKS = "webhooks.manage_webhooks"
User = AbstractBaseUser | AnonymousUser


def subscription_reach(subscription: WebhookSubscription) -> set[int] | None:
    """The pks of the accounts `subscription` may deliver events of (None: every account)."""
    owner_scope = account_scope_for_user(user=subscription.owner)
    chosen = {a.pk for a in subscription.accounts.all()}
    if owner_scope is None:
        return chosen or None
    return set(owner_scope) & chosen if chosen else set(owner_scope)


def _visible_subscription_ids(user: AbstractBaseUser) -> list[int] | None:
    """Ids of the subscriptions `user` may see; None when that is every one."""
    scope = account_scope_for_user(user=user)
    if scope is None:
        return None
    mine = set(scope)
    ids = []
    subscriptions = WebhookSubscription.objects.select_related("owner").prefetch_related("accounts")
    for subscription in subscriptions:
        if subscription.owner_id == user.pk:
            ids.append(subscription.pk)
            continue
        reach = subscription_reach(subscription)
        if reach is not None and reach <= mine:
            ids.append(subscription.pk)
    return ids


def subscription_list_for_user(*, user: User) -> QuerySet[WebhookSubscription]:
    """The subscriptions `user` may see (above) if they manage webhooks; nothing for others."""
    if not user.is_authenticated or not user.has_perm(MANAGE_WEBHOOKS):
        return WebhookSubscription.objects.none()
    subscriptions = WebhookSubscription.objects.select_related("owner").prefetch_related("accounts")
    ids = _visible_subscription_ids(user)  # type: ignore[arg-type]
    return subscriptions if ids is None else subscriptions.filter(pk__in=ids)


def delivery_list_for_user(*, user: User) -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, of the subscriptions `user` sees and of accounts they see."""
    if not user.is_authenticated or not user.has_perm(MANAGE_WEBHOOKS):
        return WebhookDelivery.objects.none()
    deliveries = WebhookDelivery.objects.select_related("subscription", "replay_of")
    ids = _visible_subscription_ids(user)  # type: ignore[arg-type]
    if ids is None:
        return deliveries
    from accounts.models import AwsAccount

    accounts = AwsAccount.objects.visible_to(user).values("account_id")
    return deliveries.filter(subscription__in=ids).filter(
        Q(account_id="") | Q(account_id__in=accounts)
    )
