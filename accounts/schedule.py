"""How often each source is collected; read by the beat schedule and by collection health.

Kept free of Django imports: config/celery.py reads it before Django is set up.
"""

from __future__ import annotations

# Minutes between scheduled collections of each source. GuardDuty publishes updates to existing
# findings every 6 hours by default and new findings within about 5 minutes; Cost Explorer data
# refreshes up to 3 times a day and costs USD 0.01 a request (docs/domain.md, Costs).
SOURCE_INTERVAL_MINUTES: dict[str, int] = {
    "guardduty": 15,
    "macie": 30,
    "inspector": 60,
    "cloudtrail": 30,
    "costs": 8 * 60,
    "budgets": 6 * 60,
}
ORGANIZATION_DISCOVERY_MINUTES = 24 * 60


def stale_after_minutes(source: str) -> int:
    """A source not collected for twice its interval is stale."""
    return 2 * SOURCE_INTERVAL_MINUTES[source]
