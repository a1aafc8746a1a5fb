"""Amazon Inspector: declared once here; its collector is findings/collectors/inspector.py."""

from __future__ import annotations

from typing import Any

from accounts.source_registry import AdminMode, Probe, SourceDeclaration


def _disabled(answer: dict[str, Any]) -> str:
    states = [a["state"]["status"] for a in answer.get("accounts", [])]
    if states and all(s == "DISABLED" for s in states):
        return "Inspector is disabled in this region"
    return ""


SOURCE = SourceDeclaration(
    name="inspector",
    label="Inspector",
    order=30,
    schedule_minutes=60,
    syncer="findings.services.inspector_sync",
    probe=Probe(
        "inspector2",
        "batch_get_account_status",
        lambda account_id: {"accountIds": [account_id]},
        _disabled,
    ),
    calls=(
        "inspector2:BatchGetAccountStatus",
        "inspector2:ListFindings",
        "inspector2:ListCoverage",
    ),
    # ListFindings: maxResults 1-100; ListCoverage: 1-200 (botocore's inspector2 model). A response
    # may hold fewer than asked while more follow (the model caps the findings list at 25).
    page_sizes={"ListFindings": 100, "ListCoverage": 200},
    finding_source=True,
    # Read for every member through the organisation's delegated administrator when it has one.
    admin=AdminMode(
        service_principal="inspector2.amazonaws.com",
        find="findings.collectors.inspector.organization_admin",
        members="findings.collectors.inspector.member_statuses",
        covered=frozenset({"ENABLED"}),
        calls=("inspector2:GetDelegatedAdminAccount", "inspector2:ListMembers"),
    ),
)
