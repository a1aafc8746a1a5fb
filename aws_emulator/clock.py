"""A settable UTC clock shared by the world and every emulated service.

Tests freeze or advance it to exercise credential expiry, CloudTrail's per-second rate limit and
"N days ago" seed data without sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Callable returning an aware UTC datetime: real time plus an offset, or a frozen instant.

    `advance()` works in both modes, so a test can keep real time flowing while jumping ahead.
    """

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = _aware(frozen_at) if frozen_at else None
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at `at` (default: now) and return that instant."""
        instant = _aware(at) if at else self()
        with self._lock:
            self._frozen = instant
        return instant

    def unfreeze(self) -> None:
        """Let the clock run again from its current reading."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - datetime.now(UTC)
                self._frozen = None

    def set(self, at: datetime) -> None:
        """Freeze the clock at `at`."""
        self.freeze(at)

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move the clock forward by `seconds` plus any timedelta keywords (days=, hours=...)."""
        step = timedelta(seconds=seconds, **delta)
        with self._lock:
            if self._frozen is not None:
                self._frozen += step
            else:
                self._offset += step
        return self()

    @property
    def frozen(self) -> bool:
        """Whether the clock is frozen."""
        return self._frozen is not None


def _aware(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
