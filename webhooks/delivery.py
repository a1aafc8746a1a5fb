"""One attempt at sending a delivery: claim it, sign the body, POST it, record what answered.

At least once: a delivery may reach its receiver twice (a worker lost after sending, a replay),
so receivers deduplicate on Watchpost-Event-Id. Attempts back off exponentially
(RETRY_SCHEDULE); network errors, 5xx, 408 and 429 are retried, any other answer is final.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import AwsAccount
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.signing import SIGNATURE_HEADER, signature_header
from webhooks.targets import TargetRefused, target_post

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_SCHEDULE",
    "DeliveryOutcome",
    "claim_timeout",
    "delivery_attempt",
    "delivery_body",
]

# Seconds before attempt 2, 3, ...: 30 s, 2 min, 8 min, 32 min, then hourly; 8 attempts over
# about 3.7 hours. Each stays under Redis's visibility timeout (twice the task time limit), so a
# waiting retry is never handed to a second worker.
RETRY_SCHEDULE: tuple[int, ...] = (30, 120, 480, 1920, 3600, 3600, 3600)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
_RETRIED_STATUSES = frozenset({408, 429})


def claim_timeout() -> timedelta:
    """A claim older than this belongs to a worker that died while sending (one POST lasts at most
    about twice WATCHPOST_WEBHOOK_TIMEOUT: connecting, then reading): it may be taken again."""
    return timedelta(seconds=2 * float(getattr(settings, "WATCHPOST_WEBHOOK_TIMEOUT", 10)) + 5)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What an attempt did: the delivery's status after it, and the seconds until the next try
    (None: no retry)."""

    status: str
    retry_in: int | None = None


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): the stored payload as compact JSON."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, or None when it is done or another worker has it."""
    now = timezone.now()
    claimable = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - claim_timeout()
    )
    taken = (
        WebhookDelivery.objects.filter(claimable, pk=delivery_id)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("subscription__owner").get(pk=delivery_id)


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Watchpost-Webhooks/1",
        "Watchpost-Event": delivery.event,
        "Watchpost-Event-Id": str(delivery.event_id),
        "Watchpost-Delivery": str(delivery.uid),
        SIGNATURE_HEADER: signature_header(
            secret=delivery.subscription.secret, timestamp=int(time.time()), body=body
        ),
    }


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, str, int, bool]:
    """(status, excerpt, error, duration ms, retryable) of one POST."""
    body = delivery_body(delivery)
    timeout = float(getattr(settings, "WATCHPOST_WEBHOOK_TIMEOUT", 10))
    started = time.monotonic()
    try:
        response = target_post(
            delivery.subscription.url, body=body, headers=_headers(delivery, body), timeout=timeout
        )
    except TargetRefused as exc:
        return None, "", str(exc), 0, exc.retryable
    except (OSError, http.client.HTTPException) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return None, "", f"{type(exc).__name__}: {exc}"[:500], elapsed, True
    status = response.status
    if 200 <= status < 300:
        return status, response.excerpt, "", response.duration_ms, False
    error = "Redirects are not followed." if 300 <= status < 400 else f"HTTP {status}"
    retryable = status >= 500 or status in _RETRIED_STATUSES
    return status, response.excerpt, error, response.duration_ms, retryable


def _owner_sees(delivery: WebhookDelivery) -> bool:
    """Whether the subscription's owner sees the delivery's account now (a ping has none)."""
    if not delivery.account_id:
        return True
    owner = delivery.subscription.owner
    return AwsAccount.objects.visible_to(owner).filter(account_id=delivery.account_id).exists()


def delivery_attempt(*, delivery_id: int) -> DeliveryOutcome:
    """Make the next attempt of a delivery and record it; safe to call twice (a delivery that is
    done, or being sent by another worker, is left alone)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return DeliveryOutcome(status=current.first() or "missing")
    if not delivery.subscription.active:
        status, excerpt, error, ms, retryable = None, "", "The subscription is paused.", 0, False
    elif not _owner_sees(delivery):
        error = f"Not sent: the subscription's owner no longer sees account {delivery.account_id}."
        status, excerpt, ms, retryable = None, "", 0, False
    else:
        status, excerpt, error, ms, retryable = _send(delivery)
    now = timezone.now()
    succeeded = not error
    retry_in = None
    if not succeeded and retryable and delivery.attempts < MAX_ATTEMPTS:
        retry_in = RETRY_SCHEDULE[delivery.attempts - 1]
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=now,
        response_status=status,
        response_excerpt=excerpt,
        error=error,
        duration_ms=ms,
        retry_in=retry_in,
    )
    final = DeliveryStatus.SUCCEEDED if succeeded else DeliveryStatus.FAILED
    new_status = DeliveryStatus.RETRYING if retry_in is not None else final
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=new_status,
        response_status=status,
        response_excerpt=excerpt,
        error=error,
        next_attempt_at=now + timedelta(seconds=retry_in) if retry_in is not None else None,
        finished_at=None if retry_in is not None else now,
    )
    return DeliveryOutcome(status=new_status, retry_in=retry_in)
