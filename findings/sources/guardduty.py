"""GuardDuty: declared once here; its collector is findings/collectors/guardduty.py."""

from __future__ import annotations

from typing import Any

from accounts.source_registry import AdminMode, Probe, SourceDeclaration


def _no_detector(answer: dict[str, Any]) -> str:
    return "" if answer.get("DetectorIds") else "no GuardDuty detector in this region"


SOURCE = SourceDeclaration(
    name="guardduty",
    label="GuardDuty",
    order=10,
    # GuardDuty publishes new findings within about 5 minutes and updates to existing ones every
    # 6 hours by default (docs/domain.md).
    schedule_minutes=15,
    syncer="findings.services.guardduty_sync",
    probe=Probe("guardduty", "list_detectors", lambda account_id: {"MaxResults": 1}, _no_detector),
    calls=("guardduty:ListDetectors", "guardduty:ListFindings", "guardduty:GetFindings"),
    # ListFindings: "The default value is 50. The maximum value is 50." GetFindings: at most 50 ids.
    page_sizes={"ListFindings": 50, "GetFindings": 50},
    finding_source=True,
    # Read for every member through the organisation's delegated administrator when it has one.
    admin=AdminMode(
        service_principal="guardduty.amazonaws.com",
        find="findings.collectors.guardduty.organization_admin",
        members="findings.collectors.guardduty.member_statuses",
        covered=frozenset({"Enabled"}),
        calls=("guardduty:ListOrganizationAdminAccounts", "guardduty:ListMembers"),
    ),
)
