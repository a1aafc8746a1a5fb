"""Amazon Macie: declared once here; its collector is findings/collectors/macie.py."""

from __future__ import annotations

from accounts.source_registry import AdminMode, Probe, SourceDeclaration

SOURCE = SourceDeclaration(
    name="macie",
    label="Macie",
    order=20,
    schedule_minutes=30,
    syncer="findings.services.macie_sync",
    # GetMacieSession answers an error (ServiceNotEnabled here) when Macie is off in the region.
    probe=Probe("macie2", "get_macie_session"),
    calls=("macie2:GetMacieSession", "macie2:ListFindings", "macie2:GetFindings"),
    # ListFindings: the model sets no range; Macie pages by 50 at most. GetFindings: at most 50 ids.
    page_sizes={"ListFindings": 50, "GetFindings": 50},
    finding_source=True,
    # Read for every member through the organisation's delegated administrator when it has one.
    admin=AdminMode(
        service_principal="macie.amazonaws.com",
        find="findings.collectors.macie.organization_admin",
        members="findings.collectors.macie.member_statuses",
        covered=frozenset({"Enabled"}),
        calls=("macie2:ListOrganizationAdminAccounts", "macie2:ListMembers"),
    ),
)
