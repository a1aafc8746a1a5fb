"""Organizations: ListAccounts pages of at most 20 from the management account only."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from aws_emulator import Emulator, World

from .conftest import MGMT, PROD, session_for


def test_list_accounts_uses_state_and_pages_of_20(emu: Emulator, world: World) -> None:
    for i in range(30):
        world.add_account(f"5000000000{i:02d}", name=f"team-{i}")
    client = boto3.client("organizations")
    pages = list(client.get_paginator("list_accounts").paginate())
    assert [len(p["Accounts"]) for p in pages] == [20, 13]
    states = {a["Id"]: a["State"] for p in pages for a in p["Accounts"]}
    assert states["333333333333"] == "SUSPENDED"
    # `Status` is retired since 2026-09-09: a collector must read `State`.
    world.clock.set(world.clock().replace(year=2026, month=12, day=1))
    assert "Status" not in client.list_accounts()["Accounts"][0]


def test_max_results_above_20_is_rejected(emu: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        boto3.client("organizations").list_accounts(MaxResults=21)
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_short_pages_mode(emu: Emulator, world: World) -> None:
    world.short_pages = True
    client = boto3.client("organizations")
    first = client.list_accounts()
    assert len(first["Accounts"]) < 3 and first["NextToken"]
    ids = [a["Id"] for p in client.get_paginator("list_accounts").paginate() for a in p["Accounts"]]
    assert len(ids) == 3


def test_member_sees_payer_but_cannot_list(emu: Emulator) -> None:
    member = session_for(PROD).client("organizations")
    assert member.describe_organization()["Organization"]["MasterAccountId"] == MGMT
    with pytest.raises(ClientError, match="AccessDeniedException"):
        member.list_accounts()


def test_account_outside_any_org(emu: Emulator, world: World) -> None:
    world.hub_account_id = "999999999999"
    with pytest.raises(ClientError, match="AWSOrganizationsNotInUseException"):
        boto3.client("organizations").describe_organization()


def test_the_ou_tree_pages_by_20_and_refuses_unknown_parents(emu: Emulator, world: World) -> None:
    client = boto3.client("organizations")
    root = client.list_roots()["Roots"][0]
    assert root["Id"] == world.org.root_id and root["Arn"].endswith(f"/{root['Id']}")
    workloads = world.add_ou(root["Id"], "Workloads")
    for i in range(23):
        world.add_ou(workloads, f"team {i:02d}")
    pages = list(
        client.get_paginator("list_organizational_units_for_parent").paginate(ParentId=workloads)
    )
    assert [len(p["OrganizationalUnits"]) for p in pages] == [20, 3]
    unit = pages[0]["OrganizationalUnits"][0]
    assert unit["Path"] == f"{world.org.org_id}/{root['Id']}/{workloads}/{unit['Id']}/"
    world.move_account(PROD, unit["Id"])
    listed = client.list_accounts_for_parent(ParentId=unit["Id"])["Accounts"]
    assert [a["Id"] for a in listed] == [PROD]
    assert PROD not in [
        a["Id"] for a in client.list_accounts_for_parent(ParentId=root["Id"])["Accounts"]
    ]
    assert client.list_parents(ChildId=PROD)["Parents"] == [
        {"Id": unit["Id"], "Type": "ORGANIZATIONAL_UNIT"}
    ]
    with pytest.raises(ClientError, match="ParentNotFoundException"):
        client.list_accounts_for_parent(ParentId="ou-zzzz-zzzzzzzz")
    with pytest.raises(ClientError, match="InvalidInputException"):
        client.list_organizational_units_for_parent(ParentId="' OR 1=1")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        session_for(PROD).client("organizations").list_roots()
