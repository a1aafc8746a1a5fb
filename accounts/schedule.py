"""How often each source is collected; read by the beat schedule and by collection health.

Each source declares its interval (accounts.source_registry). Kept free of Django models: config/celery.py
reads it before Django is set up.
"""

from __future__ import annotations

from accounts.source_registry import source_declarations

ORGANIZATION_DISCOVERY_MINUTES = 24 * 60


def source_interval_minutes() -> dict[str, int]:
    """Minutes between scheduled collections of each source, as each declares."""
    return {d.name: d.schedule_minutes for d in source_declarations()}


def stale_after_minutes(source: str) -> int:
    """A source not collected for twice its interval is stale."""
    return 2 * source_interval_minutes()[source]
