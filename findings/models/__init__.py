"""Models of the findings app."""

from findings.models.finding import Finding, FindingQuerySet, console_url
from findings.models.history import FindingChangeClock, FindingDailyCount, FindingEvent
from findings.models.inspector import FindingVulnerability, InspectorCoverage

__all__ = [
    "Finding",
    "FindingChangeClock",
    "FindingDailyCount",
    "FindingEvent",
    "FindingQuerySet",
    "FindingVulnerability",
    "InspectorCoverage",
    "console_url",
]
