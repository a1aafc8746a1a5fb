"""Delegated administrators: who administers GuardDuty, Macie and Inspector, their members per
region, and the administrator's ListFindings / GetFindings covering every enabled member."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from aws_emulator import Emulator, World

from .conftest import MGMT, PROD, session_for

AUDIT, DEV = "444444444444", "555555555555"


@pytest.fixture
def org(world: World) -> World:
    """AUDIT administers the three services; PROD and DEV are members with findings."""
    from .conftest import EXTERNAL_ID, ROLE

    for account, name in ((AUDIT, "Audit"), (DEV, "Dev")):
        world.add_account(account, name=name)
        world.add_role(account, ROLE, external_id=EXTERNAL_ID)
    for service in ("guardduty", "macie2", "inspector2"):
        world.delegate(service, AUDIT)
    for account in (AUDIT, PROD, DEV):
        world.guardduty(account, "us-east-1").add_finding(Type=f"Recon:EC2/{account}")
        world.macie(account, "us-east-1").enable()
        world.macie(account, "us-east-1").add_finding()
        world.inspector2(account, "us-east-1").enable()
        world.inspector2(account, "us-east-1").add_finding()
    return world


def test_organizations_names_the_delegated_administrator(emu: Emulator, org: World) -> None:
    client = boto3.client("organizations")
    admins = client.list_delegated_administrators()["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [AUDIT]
    only = client.list_delegated_administrators(ServicePrincipal="macie.amazonaws.com")
    assert [a["Id"] for a in only["DelegatedAdministrators"]] == [AUDIT]
    services = client.list_delegated_services_for_account(AccountId=AUDIT)["DelegatedServices"]
    assert {s["ServicePrincipal"] for s in services} == {
        "guardduty.amazonaws.com",
        "macie.amazonaws.com",
        "inspector2.amazonaws.com",
    }
    with pytest.raises(ClientError) as caught:
        client.list_delegated_services_for_account(AccountId=PROD)
    assert caught.value.response["Error"]["Code"] == "AccountNotRegisteredException"
    with pytest.raises(ClientError) as caught:
        client.list_delegated_administrators(MaxResults=21)
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_only_the_management_account_asks_who_administers(emu: Emulator, org: World) -> None:
    assert boto3.client("guardduty").list_organization_admin_accounts()["AdminAccounts"] == [
        {"AdminAccountId": AUDIT, "AdminStatus": "ENABLED"}
    ]
    assert (
        boto3.client("macie2").list_organization_admin_accounts()["adminAccounts"][0]["accountId"]
        == AUDIT
    )
    assert boto3.client("inspector2").get_delegated_admin_account()["delegatedAdmin"] == {
        "accountId": AUDIT,
        "relationshipStatus": "ENABLED",
    }
    member = session_for(PROD)
    with pytest.raises(ClientError):
        member.client("organizations").list_delegated_administrators()
    with pytest.raises(ClientError):
        member.client("guardduty").list_organization_admin_accounts()
    admin = member.client("macie2").get_administrator_account()["administrator"]
    assert admin["accountId"] == AUDIT and admin["relationshipStatus"] == "Enabled"


def test_the_administrator_reads_every_enabled_members_findings(emu: Emulator, org: World) -> None:
    gd = session_for(AUDIT).client("guardduty")
    detector = gd.list_detectors()["DetectorIds"][0]
    ids = gd.list_findings(DetectorId=detector)["FindingIds"]
    found = gd.get_findings(DetectorId=detector, FindingIds=ids)["Findings"]
    assert sorted(f["AccountId"] for f in found) == sorted([AUDIT, PROD, DEV])
    # A member reads only its own.
    own = session_for(PROD).client("guardduty")
    mine = own.list_findings(DetectorId=own.list_detectors()["DetectorIds"][0])["FindingIds"]
    assert len(mine) == 1
    macie = session_for(AUDIT).client("macie2")
    macie_ids = macie.list_findings()["findingIds"]
    macie_found = macie.get_findings(findingIds=macie_ids)["findings"]
    assert sorted(f["accountId"] for f in macie_found) == sorted([AUDIT, PROD, DEV])
    inspector = session_for(AUDIT).client("inspector2")
    arns = [f["awsAccountId"] for f in inspector.list_findings()["findings"]]
    assert sorted(arns) == sorted([AUDIT, PROD, DEV])


def test_members_and_status_per_region(emu: Emulator, org: World) -> None:
    org.guardduty(DEV, "us-east-1").disable()
    org.macie(DEV, "us-east-1").disable()
    org.inspector2(DEV, "us-east-1").disable()
    org.leave("guardduty", MGMT, "us-east-1")
    session = session_for(AUDIT)
    gd = session.client("guardduty")
    members = gd.list_members(DetectorId=gd.list_detectors()["DetectorIds"][0])["Members"]
    assert {m["AccountId"]: m["RelationshipStatus"] for m in members} == {
        PROD: "Enabled",
        DEV: "Disabled",
    }
    ids = gd.list_findings(DetectorId=gd.list_detectors()["DetectorIds"][0])["FindingIds"]
    assert len(ids) == 2  # DEV's detector is gone with its findings; the admin's and PROD's
    macie = {
        m["accountId"]: m["relationshipStatus"]
        for m in session.client("macie2").list_members()["members"]
    }
    assert macie[DEV] == "Paused" and macie[PROD] == "Enabled" and AUDIT not in macie
    inspector = session.client("inspector2")
    assert {m["accountId"] for m in inspector.list_members()["members"]} == {MGMT, PROD, DEV}
    status = inspector.batch_get_account_status(accountIds=[PROD, DEV])["accounts"]
    assert {s["accountId"]: s["state"]["status"] for s in status} == {
        PROD: "ENABLED",
        DEV: "DISABLED",
    }
    with pytest.raises(ClientError) as caught:
        session.client("macie2").list_members(maxResults=26)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):
        session_for(PROD).client("inspector2").list_members()
