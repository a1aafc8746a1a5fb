"""CloudTrail: declared once here; its collector is principals/collectors/cloudtrail.py."""

from __future__ import annotations

from accounts.source_registry import Probe, SourceDeclaration

SOURCE = SourceDeclaration(
    name="cloudtrail",
    label="CloudTrail",
    order=40,
    schedule_minutes=30,
    syncer="principals.services.cloudtrail_sync",
    probe=Probe("cloudtrail", "lookup_events", lambda account_id: {"MaxResults": 1}),
    calls=("cloudtrail:LookupEvents",),
    # "The default number of results returned is 50, with a maximum of 50 possible."
    page_sizes={"LookupEvents": 50},
)
