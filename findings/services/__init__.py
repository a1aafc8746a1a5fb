"""Writes of the findings app: storing what collectors found, syncers, daily history."""

from findings.services.clock import finding_change_time
from findings.services.guardduty import guardduty_sync
from findings.services.history import finding_history_snapshot
from findings.services.inspector import inspector_sync
from findings.services.macie import macie_sync
from findings.services.upsert import UpsertCounts, finding_upsert_many, findings_mark_gone

__all__ = [
    "UpsertCounts",
    "finding_change_time",
    "finding_history_snapshot",
    "finding_upsert_many",
    "findings_mark_gone",
    "guardduty_sync",
    "inspector_sync",
    "macie_sync",
]
