"""Delegated administrator mode: discovery finds each source's administrator, collection reads
GuardDuty, Macie and Inspector once per region through it, files every finding under the member
in its AccountId, marks members' findings gone after a full pass, and finds exactly what
collecting every member one by one finds."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.collection import collection_targets
from accounts.delegated import member_add_disabled
from accounts.models import AwsAccount, CollectionRun, SourceMembership, SyncCursor
from findings.models import Finding
from tests.conftest import DEMO_MANAGEMENT, bearer_client, collect_demo_organisation

ADMIN = "444444444444"
FINDING_SOURCES = ["guardduty", "macie", "inspector"]


@pytest.fixture
def aws_world():
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


def findings_seen() -> set[tuple]:
    return set(
        Finding.objects.values_list(
            "source", "source_id", "account__account_id", "region", "aws_state", "severity", "title"
        )
    )


def forget_collection() -> None:
    Finding.objects.all().delete()
    SyncCursor.objects.all().delete()
    SourceMembership.objects.all().delete()
    CollectionRun.objects.all().delete()


def test_discovery_finds_each_sources_administrator(db, emulator, alice):
    collect_demo_organisation()
    admin = AwsAccount.objects.get(account_id=ADMIN)
    assert sorted(admin.administers) == sorted(FINDING_SOURCES)
    assert not AwsAccount.objects.exclude(pk=admin.pk).exclude(administers=[]).exists()
    rows = {
        a["account_id"]: a["administers"]
        for a in bearer_client(alice).get("/api/v1/accounts/?page_size=50").json()["results"]
    }
    assert sorted(rows[ADMIN]) == sorted(FINDING_SOURCES) and rows[DEMO_MANAGEMENT] == []
    out = StringIO()
    call_command("discover_accounts", stdout=out)
    assert f"administrator guardduty {ADMIN}" in out.getvalue()


def test_collection_reads_through_the_administrator_once_per_region(db, emulator):
    output = collect_demo_organisation()
    lines = [line.split() for line in output.splitlines()]
    for source in FINDING_SOURCES:
        readers = {(acc, region) for acc, region, src, *_ in lines if src == source}
        assert {(ADMIN, "us-east-1"), (ADMIN, "eu-west-1")} <= readers
        # A member is read on its own only where it is not covered: its service is off there.
        for acc, _region, src, outcome, *_ in lines:
            if src == source and acc != ADMIN:
                assert outcome == "not_enabled", (acc, _region, src, outcome)
    assert Finding.objects.filter(account__account_id="222222222222").exists()
    covered = SourceMembership.objects.filter(source="guardduty", covered=True)
    assert {m.account.account_id for m in covered} == {
        DEMO_MANAGEMENT,
        "222222222222",
        "333333333333",
    }
    targets = collection_targets(accounts=AwsAccount.objects.all(), sources=["guardduty"])
    assert {(t.account.account_id, t.region, t.via_admin) for t in targets} == {
        (ADMIN, "us-east-1", True),
        (ADMIN, "eu-west-1", True),
        ("333333333333", "eu-west-1", False),  # GuardDuty off there: not covered
    }


def test_both_ways_find_identical_findings(db, emulator, aws_world):
    saved = dict(aws_world.delegated_admins)
    aws_world.delegated_admins.clear()
    member_output = collect_demo_organisation()
    one_by_one = findings_seen()
    member_calls = sum(
        int(x.split("=")[1]) for x in member_output.split() if x.startswith("calls=")
    )
    assert not AwsAccount.objects.exclude(administers=[]).exists()

    forget_collection()
    aws_world.delegated_admins.update(saved)
    admin_output = collect_demo_organisation()
    through_admin = findings_seen()
    admin_calls = sum(int(x.split("=")[1]) for x in admin_output.split() if x.startswith("calls="))
    assert len(one_by_one) > 50
    assert through_admin == one_by_one
    assert Finding.objects.count() == len(through_admin)  # never stored twice
    assert admin_calls < member_calls


def test_a_full_pass_through_the_administrator_marks_members_findings_gone(db, emulator, aws_world):
    collect_demo_organisation()
    member = aws_world.guardduty("222222222222", "us-east-1")
    gone_id = sorted(member.findings)[0]
    member.delete([gone_id])
    call_command("collect", "--source", "guardduty", "--full", stdout=StringIO())
    finding = Finding.objects.get(source="guardduty", source_id=gone_id)
    assert finding.aws_state == "gone"
    assert Finding.objects.filter(source="guardduty", aws_state="gone").count() == 1


def test_an_unknown_member_is_added_disabled_and_its_findings_filed_under_it(
    db, emulator, aws_world
):
    from aws_emulator.seed import EXTERNAL_ID, ROLE_NAME

    collect_demo_organisation()
    newcomer = "555555555555"
    aws_world.add_account(newcomer, name="Newcomer")
    aws_world.add_role(newcomer, ROLE_NAME, external_id=EXTERNAL_ID)
    aws_world.guardduty(newcomer, "us-east-1").add_finding(Type="Recon:EC2/Newcomer")
    call_command("collect", "--source", "guardduty", stdout=StringIO())
    account = AwsAccount.objects.get(account_id=newcomer)
    assert account.enabled is False
    assert Finding.objects.filter(account=account, type="Recon:EC2/Newcomer").count() == 1


def test_a_member_named_with_a_hostile_id_is_not_added(db, account_a):
    for hostile in ["12345", "<script>alert(1)</script>", "1111111111111", "../../etc"]:
        assert member_add_disabled(account_id=hostile, like=account_a) is None
    assert AwsAccount.objects.count() == 1


def test_an_admin_sets_the_administrator_by_hand_and_hostile_values_are_refused(
    db, client, alice, account_a
):
    from django.core.exceptions import ValidationError

    account_a.administers = ["guardduty"]
    account_a.full_clean()
    for hostile in [["costs"], ["<img src=x onerror=alert(1)>"], "guardduty", [1]]:
        account_a.administers = hostile
        with pytest.raises(ValidationError) as caught:
            account_a.full_clean()
        assert "administers" in caught.value.message_dict


def scoped_person(username: str, account_ids: list[str]):
    from accounts.choices import Role
    from accounts.services import person_set_access
    from tests.factories import UserFactory

    user = UserFactory(username=username)
    person_set_access(
        actor=None,
        user=user,
        role=Role.ANALYST,
        all_accounts=False,
        accounts=list(AwsAccount.objects.filter(account_id__in=account_ids)),
    )
    return user


def test_health_page_shows_a_member_with_guardduty_off_as_not_covered(db, emulator, client, alice):
    collect_demo_organisation()
    client.force_login(alice)
    page = client.get("/collection/?outcome=not_covered")
    rows = {(r.account.account_id, r.region, r.source): r for r in page.context["rows"]}
    assert ("333333333333", "eu-west-1", "guardduty") in rows
    row = rows[("333333333333", "eu-west-1", "guardduty")]
    assert row.coverage == "not_covered" and row.run.outcome == "not_enabled"
    assert b"not covered" in page.content
    every = {
        (r.account.account_id, r.region, r.source): r
        for r in client.get("/collection/").context["rows"]
    }
    covered = every[("222222222222", "us-east-1", "guardduty")]
    assert covered.coverage == "covered" and covered.membership == "Enabled"
    assert covered.run.account.account_id == ADMIN and covered.administrator.account_id == ADMIN
    assert every[(ADMIN, "us-east-1", "guardduty")].coverage == "administrator"


def test_health_rows_are_scoped_and_hide_the_administrators_run(db, emulator, client):
    collect_demo_organisation()
    dana, erin = scoped_person("dana", ["222222222222"]), scoped_person("erin", [])
    client.force_login(dana)
    page = client.get("/collection/")
    rows = page.context["rows"]
    assert {r.account.account_id for r in rows} == {"222222222222"}
    covered = next(r for r in rows if r.source == "guardduty" and r.region == "us-east-1")
    assert covered.coverage == "covered" and covered.administrator is None
    assert ADMIN.encode() not in page.content  # another's account, its counts and errors
    client.force_login(erin)
    assert client.get("/collection/").context["rows"] == []


def test_an_aws_membership_status_is_rendered_escaped(db, emulator, client, alice):
    collect_demo_organisation()
    SourceMembership.objects.filter(
        account__account_id="333333333333", source="guardduty", region="eu-west-1"
    ).update(status="<script>alert(1)</script>")
    client.force_login(alice)
    content = client.get("/collection/?outcome=not_covered").content
    assert b"<script>alert(1)</script>" not in content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content
    detail = client.get("/accounts/333333333333/").content
    assert b"<script>alert(1)</script>" not in detail


def test_onboarding_shows_per_source_which_mode_and_what_to_deploy(db, emulator, client, alice):
    collect_demo_organisation()
    client.force_login(alice)
    modes = {m.source: m for m in client.get("/accounts/333333333333/").context["source_modes"]}
    assert modes["guardduty"].mode == "through_administrator"
    assert modes["guardduty"].regions == ("us-east-1",)
    assert modes["guardduty"].not_covered == ("eu-west-1 (Disabled)",)
    assert modes["cloudtrail"].mode == "member" and modes["cloudtrail"].administrator == ""
    admin = {m.source: m for m in client.get(f"/accounts/{ADMIN}/").context["source_modes"]}
    assert admin["inspector"].mode == "administrator"
    page = client.get(f"/accounts/{ADMIN}/").content.decode()
    assert "delegated administrator" in page and 'id="source-modes"' in page
