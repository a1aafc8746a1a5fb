"""Celery tasks of the webhooks app: take ids, call webhooks.delivery, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from webhooks.choices import DeliveryStatus
from webhooks.delivery import claim_timeout, delivery_attempt
from webhooks.services import deliveries_pending


@shared_task(bind=True, name="webhooks.deliver", max_retries=None, ignore_result=True)
def webhook_deliver_task(self: Any, delivery_id: int) -> str:
    """One attempt of a delivery; schedules the next with Celery's retry and the backoff the
    attempt chose (webhooks.delivery.RETRY_SCHEDULE). The delivery row, not the task, counts
    the attempts, so a task delivered twice never sends twice nor retries too often."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    while outcome.retry_in is not None and self.request.is_eager:
        # In-process (no broker: tests, the demo) there is no queue to wait in: try again now.
        # The countdown each attempt chose is kept on it (WebhookAttempt.retry_in).
        outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    if outcome.status == DeliveryStatus.SENDING and not self.request.is_eager:
        # Claimed by an attempt that may have died with its worker (this task was delivered
        # again): come back once that claim has expired; a finished delivery then ends it.
        raise self.retry(countdown=int(claim_timeout().total_seconds()) + 1)
    return outcome.status


@shared_task(name="webhooks.deliver_pending", ignore_result=True)
def webhook_deliver_pending_task() -> int:
    """Queue again the deliveries whose task was lost (the broker was down when they were made).
    For beat, every few minutes."""
    pks = deliveries_pending()
    for pk in pks:
        webhook_deliver_task.delay(pk)
    return len(pks)
