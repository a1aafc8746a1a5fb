"""Celery tasks of the findings app. Tasks take ids and strings, call one service, and are safe to
run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from accounts.models import AwsAccount
from findings.governance.acceptance import risk_acceptances_expire
from findings.services import finding_history_snapshot


@shared_task(name="findings.snapshot_history")
def finding_history_snapshot_task(day: str | None = None) -> int:
    """Record a day's open counts of every account (today by default); idempotent per day.

    Each sync snapshots its own account already; this daily run covers days without a sync.
    """
    return finding_history_snapshot(
        day=date.fromisoformat(day) if day else None,
        accounts=list(AwsAccount.objects.filter(retired_at__isnull=True)),
    )


@shared_task(name="findings.expire_risk_acceptances")
def risk_acceptances_expire_task() -> int:
    """End the risk acceptances past their expiry (their findings reopen); returns how many
    findings reopened. Hourly (config.celery), and at the start of every collect."""
    return risk_acceptances_expire()
