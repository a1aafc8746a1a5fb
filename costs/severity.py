"""Our severity of a cost anomaly. AWS gives none, so we derive one from its total impact (the
extra spend, actual minus expected, in USD) and state the rule on the anomalies page.

The impact in dollars, not the percentage: AWS omits the percentage when expected spend is 0, and
a manager weighs an anomaly by what it costs.
"""

from __future__ import annotations

from decimal import Decimal

from costs.choices import AnomalySeverity

HIGH_IMPACT = Decimal(1000)
MEDIUM_IMPACT = Decimal(100)
RULE = (
    f"Severity is ours (AWS gives none), from the total impact: high at ${HIGH_IMPACT:,} or more, "
    f"medium at ${MEDIUM_IMPACT:,} or more, low below."
)


def anomaly_severity(total_impact: Decimal) -> str:
    """high, medium or low for an anomaly's total impact in USD."""
    if total_impact >= HIGH_IMPACT:
        return AnomalySeverity.HIGH
    if total_impact >= MEDIUM_IMPACT:
        return AnomalySeverity.MEDIUM
    return AnomalySeverity.LOW
