"""Models of the findings app."""

from findings.models.finding import (
    SEARCH_FIELDS,
    Finding,
    FindingQuerySet,
    console_url,
    search_text,
)
from findings.models.governance import RiskAcceptance, SlaPolicy
from findings.models.history import (
    FindingChangeClock,
    FindingDailyCount,
    FindingEvent,
    FindingOpenCount,
)
from findings.models.inspector import FindingVulnerability, InspectorCoverage
from findings.models.rollups import (
    InspectorOpenAge,
    InspectorOpenCell,
    InspectorOpenCve,
    InspectorOpenResource,
    InspectorOpenRisk,
    MacieOpenBucket,
    MacieOpenSensitive,
    RollupPending,
)

__all__ = [
    "SEARCH_FIELDS",
    "Finding",
    "FindingChangeClock",
    "FindingDailyCount",
    "FindingEvent",
    "FindingOpenCount",
    "FindingQuerySet",
    "FindingVulnerability",
    "InspectorCoverage",
    "InspectorOpenAge",
    "InspectorOpenCell",
    "InspectorOpenCve",
    "InspectorOpenResource",
    "InspectorOpenRisk",
    "MacieOpenBucket",
    "MacieOpenSensitive",
    "RiskAcceptance",
    "RollupPending",
    "SlaPolicy",
    "console_url",
    "search_text",
]
