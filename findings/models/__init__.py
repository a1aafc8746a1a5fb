"""Models of the findings app."""

from findings.models.finding import Finding, FindingQuerySet, console_url
from findings.models.history import FindingChangeClock, FindingDailyCount, FindingEvent

__all__ = [
    "Finding",
    "FindingChangeClock",
    "FindingDailyCount",
    "FindingEvent",
    "FindingQuerySet",
    "console_url",
]
