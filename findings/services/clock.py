"""The change clock: every write to findings takes its `updated_at` from here, inside its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from findings.models import FindingChangeClock

__all__ = ["finding_change_time"]

_TICK = timedelta(microseconds=1)


def finding_change_time() -> datetime:
    """A time later than any handed out before, holding the clock's row lock until commit.

    Call it first in the transaction that writes findings (before locking any finding row, so that
    writers always lock in the same order). Writers are serialized on the clock's row, and each gets
    a later time than the last, so `updated_at` follows commit order even across workers whose clocks
    disagree: a change feed keyed on (updated_at, id) never skips a row that commits late.
    Raises TransactionManagementError outside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("finding_change_time needs a transaction")
    now = timezone.now()
    clock = FindingChangeClock.objects.select_for_update().filter(pk=1).first()
    if clock is None:
        clock, _ = FindingChangeClock.objects.get_or_create(pk=1, defaults={"last": now - _TICK})
        clock = FindingChangeClock.objects.select_for_update().get(pk=1)
    moment = max(now, clock.last + _TICK)
    FindingChangeClock.objects.filter(pk=1).update(last=moment)
    return moment
