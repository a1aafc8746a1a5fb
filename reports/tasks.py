"""Tasks of the reports app: the weekly digest (a fan-out, then one task per person)."""

from __future__ import annotations

from celery import shared_task

from reports.services import digest_recipients, digest_send


@shared_task(name="reports.send_weekly_digests")
def send_weekly_digests_task() -> int:
    """Queue one digest per person who opted in; returns how many were queued."""
    recipients = digest_recipients()
    for user_id in recipients:
        send_digest_task.delay(user_id)
    return len(recipients)


@shared_task(name="reports.send_digest")
def send_digest_task(user_id: int) -> bool:
    """Send one person's digest (safe to run twice: sent once a week at most)."""
    return digest_send(user_id=user_id)
