"""Writes of the webhooks app: subscriptions (create, change, rotate, delete), queuing deliveries
for events, replaying a delivery. Sending is webhooks.delivery's, run by webhooks.tasks."""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AwsAccount
from accounts.services import audit_changes, audit_record
from findings.choices import SEVERITY_RANK, FindingSource, Severity
from webhooks.choices import SUBSCRIBABLE_EVENTS, DeliveryStatus, WebhookEvent
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.targets import TargetRefused, target_resolve

__all__ = [
    "Occurrence",
    "deliveries_enqueue",
    "delivery_replay",
    "subscription_create",
    "subscription_delete",
    "subscription_ping",
    "subscription_rotate_secret",
    "subscription_update",
]

logger = logging.getLogger(__name__)
SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a secret
EDITABLE = ("name", "url", "events", "min_severity", "sources", "accounts", "active")


@dataclass(frozen=True)
class Occurrence:
    """One thing that happened, to be sent to every subscription that wants it.

    `account_id` is the 12-digit member account it concerns; `severity` one of findings' Severity
    values (anomalies: high, medium, low) or None (budgets); `source` a finding source or None.
    `data` is the payload's `data` object.
    """

    account_id: str
    severity: str | None
    source: str | None
    data: dict[str, Any]
    # Given `data` (a copy) and the 12-digit ids the subscription's owner sees, answers what that
    # owner may be sent (an anomaly: only their accounts' root causes; costs.selectors).
    redact: Callable[[dict[str, Any], set[str]], dict[str, Any]] | None = None

    def data_for(self, visible: set[str]) -> dict[str, Any]:
        """The payload's `data` as an owner who sees `visible` may receive it."""
        if self.redact is None:
            return self.data
        return self.redact(copy.deepcopy(self.data), visible)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _validated(values: dict[str, Any], owner: AbstractBaseUser) -> dict[str, Any]:
    """Check what a subscription may hold; raises ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    if "name" in values and not str(values["name"]).strip():
        errors["name"] = "Give the subscription a name."
    if "url" in values:
        try:
            target_resolve(values["url"])
        except TargetRefused as exc:
            errors["url"] = str(exc)
    if "events" in values:
        events = list(dict.fromkeys(values["events"] or []))
        bad = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
        if bad or not events:
            errors["events"] = f"One or more of {', '.join(SUBSCRIBABLE_EVENTS)}."
        values["events"] = events
    if values.get("min_severity") not in (None, "", *Severity.values):
        errors["min_severity"] = f"Empty (any) or one of {', '.join(Severity.values)}."
    if "sources" in values:
        values["sources"] = list(dict.fromkeys(values["sources"] or []))
        if any(s not in FindingSource.values for s in values["sources"]):
            errors["sources"] = f"Any of {', '.join(FindingSource.values)} (none: every source)."
    if values.get("accounts"):
        ids = {str(a) for a in values["accounts"]}
        found = list(AwsAccount.objects.visible_to(owner).filter(account_id__in=ids))
        if len(found) != len(ids):
            errors["accounts"] = "Only accounts the subscription's owner can see (12-digit ids)."
        values["accounts"] = found
    if errors:
        raise ValidationError(errors)
    return values


def _snapshot(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit log keeps of a subscription (never the secret)."""
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "min_severity": subscription.min_severity,
        "sources": subscription.sources,
        "accounts": sorted(a.account_id for a in subscription.accounts.all()),
        "active": subscription.active,
    }


@transaction.atomic
def subscription_create(
    *, actor: AbstractBaseUser, owner: AbstractBaseUser | None = None, **values: Any
) -> tuple[WebhookSubscription, str]:
    """Create a subscription owned by `owner` (default `actor`); returns it and its secret, the only
    time the secret is given. `values`: name, url, events, min_severity, sources, accounts
    (12-digit ids), active. Raises ValidationError naming each bad field; writes nothing then."""
    owner = owner or actor
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "Not a field of a subscription." for name in unknown})
    values = _validated({"events": [], "name": "", "url": "", **values}, owner)
    accounts = values.pop("accounts", [])
    secret = _new_secret()
    subscription = WebhookSubscription.objects.create(owner=owner, secret=secret, **values)
    subscription.accounts.set(accounts)
    audit_record(
        actor=actor, action="webhook.created", target=subscription, changes=_snapshot(subscription)
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *, actor: AbstractBaseUser, subscription: WebhookSubscription, **values: Any
) -> WebhookSubscription:
    """Change some of a subscription's fields (EDITABLE); the secret only by rotation."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "Not a field you can change." for name in unknown})
    if "url" in values and values["url"] != subscription.url and actor.pk != subscription.owner_id:
        raise ValidationError(
            {"url": "Only the subscription's owner can change where it delivers."}
        )
    before = _snapshot(subscription)
    values = _validated(dict(values), subscription.owner)
    accounts = values.pop("accounts", None)
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.save()
    if accounts is not None:
        subscription.accounts.set(accounts)
    after = _snapshot(subscription)
    changes = audit_changes(before, after)
    if changes:
        audit_record(actor=actor, action="webhook.changed", target=subscription, changes=changes)
    return subscription


@transaction.atomic
def subscription_rotate_secret(
    *, actor: AbstractBaseUser, subscription: WebhookSubscription
) -> str:
    """Give the subscription a new secret and return it (the only time it is shown). Only its
    owner may: whoever holds the secret can sign requests its receiver trusts."""
    if actor.pk != subscription.owner_id:
        raise PermissionDenied("Only the subscription's owner can rotate its secret.")
    subscription.secret = _new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, action="webhook.secret_rotated", target=subscription)
    return subscription.secret


@transaction.atomic
def subscription_delete(*, actor: AbstractBaseUser, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log (the audit log keeps that it existed)."""
    audit_record(
        actor=actor, action="webhook.deleted", target=subscription, changes=_snapshot(subscription)
    )
    subscription.delete()


def _rank(severity: str | None) -> int:
    return SEVERITY_RANK.get(severity or "", -1)


def _wants(
    subscription: WebhookSubscription, occurrence: Occurrence, visible: set[str], chosen: set[str]
) -> bool:
    """Whether `subscription` receives `occurrence`: an account its owner sees (and it chose, if
    it chose any), at least its minimum severity, one of its sources (findings)."""
    if occurrence.account_id not in visible or (chosen and occurrence.account_id not in chosen):
        return False
    minimum = subscription.min_severity
    if minimum and occurrence.severity is not None and _rank(occurrence.severity) < _rank(minimum):
        return False
    sources = subscription.sources or []
    return not (sources and occurrence.source is not None and occurrence.source not in sources)


def _envelope(event: str, event_id: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }


def deliveries_enqueue(*, event: str, occurrences: Sequence[Occurrence]) -> list[WebhookDelivery]:
    """Queue one delivery per occurrence and subscription that wants it; returns them.

    One query when no active subscription asks for `event`. Deliveries are sent by
    webhooks.tasks.webhook_deliver_task once this transaction commits.
    """
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(active=True)
        .select_related("owner")
        .prefetch_related("accounts")
        if event in (s.events or [])
    ]
    if not subscriptions or not occurrences:
        return []
    deliveries: list[WebhookDelivery] = []
    for subscription in subscriptions:
        visible = set(
            AwsAccount.objects.visible_to(subscription.owner).values_list("account_id", flat=True)
        )
        chosen = {a.account_id for a in subscription.accounts.all()}
        for occurrence in occurrences:
            if _wants(subscription, occurrence, visible, chosen):
                delivery = WebhookDelivery(
                    subscription=subscription, event=event, account_id=occurrence.account_id
                )
                data = occurrence.data_for(visible)
                delivery.payload = _envelope(event, delivery.event_id, data)
                deliveries.append(delivery)
    WebhookDelivery.objects.bulk_create(deliveries)
    _send_after_commit([d.pk for d in deliveries])
    return deliveries


def _send_after_commit(pks: Iterable[int]) -> None:
    from webhooks.tasks import webhook_deliver_task

    def send() -> None:
        for pk in pks:
            webhook_deliver_task.delay(pk)

    # robust: a broker that is down leaves the deliveries pending (webhooks.deliver_pending
    # queues them again) instead of failing the write that caused them.
    transaction.on_commit(send, robust=True)


@transaction.atomic
def delivery_replay(*, actor: AbstractBaseUser, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again as a new delivery (same event id and body, a fresh signature)."""
    subscription = delivery.subscription
    if not subscription.active:
        raise ValidationError({"subscription": "The subscription is paused: activate it first."})
    replay = WebhookDelivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        event_id=delivery.event_id,
        account_id=delivery.account_id,
        payload=delivery.payload,
        replay_of=delivery,
    )
    audit_record(
        actor=actor,
        action="webhook.replayed",
        target=subscription,
        changes={"delivery": str(delivery.uid), "replay": str(replay.uid)},
    )
    _send_after_commit([replay.pk])
    return replay


@transaction.atomic
def subscription_ping(
    *, actor: AbstractBaseUser, subscription: WebhookSubscription
) -> WebhookDelivery:
    """Send a `ping` event to the subscription now, to test its receiver and signature check."""
    delivery = WebhookDelivery(subscription=subscription, event=WebhookEvent.PING)
    delivery.payload = _envelope(
        WebhookEvent.PING, delivery.event_id, {"subscription": subscription.name}
    )
    delivery.save()
    _send_after_commit([delivery.pk])
    return delivery


def deliveries_pending(*, older_than_seconds: int = 300) -> list[int]:
    """Ids of deliveries still pending after `older_than_seconds` (their task was lost), or claimed
    by an attempt whose worker died while sending (webhooks.delivery.claim_timeout)."""
    from webhooks.delivery import claim_timeout

    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    lost = Q(status=DeliveryStatus.PENDING, created_at__lt=cutoff) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - claim_timeout()
    )
    return list(
        WebhookDelivery.objects.filter(lost).order_by("id").values_list("pk", flat=True)[:1000]
    )
