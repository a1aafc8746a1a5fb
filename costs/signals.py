"""Signals the costs app sends, for apps that react (webhooks) without costs importing them.

Both are sent after the transaction that wrote the rows commits:
`anomaly_created` (kwargs `anomaly_ids`) for anomalies seen for the first time, and `budget_alarm`
(kwargs `budget_ids`) for budgets that have a notification in ALARM they did not have before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

__all__ = ["anomaly_created", "budget_alarm", "budget_alarms", "costs_announce"]

anomaly_created = Signal()  # kwargs: anomaly_ids (list[int])
budget_alarm = Signal()  # kwargs: budget_ids (list[int])


def budget_alarms(notifications: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """The (type, threshold) of each notification AWS reports in ALARM."""
    return {
        (str(n.get("type", "")), str(n.get("threshold", "")))
        for n in notifications
        if n.get("state") == "ALARM"
    }


def costs_announce(signal: Signal, **ids: list[int]) -> None:
    """Send `signal` with the given id lists once the current transaction commits (if any ids)."""
    if not any(ids.values()):
        return
    # robust: a listener that fails is logged, never fails the sync that announced it.
    transaction.on_commit(lambda: signal.send(sender=None, **ids), robust=True)
