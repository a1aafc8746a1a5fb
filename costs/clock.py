"""The costs app's clock: one place tests and the bench move to replay a day of syncs."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time (aware, UTC)."""
    return timezone.now()
