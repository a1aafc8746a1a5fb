"""Organisation discovery and the onboarding connection check."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, AwsAccount, ConnectionCheck
from accounts.organizations import (
    account_check,
    organization_discover,
    organization_find_management,
)
from accounts.tasks import discover_organization_task
from tests.factories import AwsAccountFactory

ROLE = "WatchpostReadOnly"


@pytest.fixture
def management(db, emulator, aws_world):
    """An organisation of 33 accounts (pages of 20 and short pages) under 111111111111."""
    mgmt = AwsAccountFactory(
        account_id="111111111111",
        role_arn=f"arn:aws:iam::111111111111:role/security/{ROLE}",
        external_id="watchpost-org-external-id",
        regions=["us-east-1"],
    )
    aws_world.organization("111111111111")
    for n in range(2, 34):
        account_id = f"{n:012d}"
        aws_world.add_account(account_id, name=f"member {n}")
        aws_world.add_role(account_id, ROLE, external_id=mgmt.external_id)
        aws_world.guardduty(account_id, "us-east-1").enable()
    aws_world.add_role("111111111111", ROLE, external_id=mgmt.external_id)
    aws_world.add_account("000000000040", name="closed one", status="CLOSED")
    aws_world.add_account("000000000041", name="suspended", status="SUSPENDED")
    return mgmt


def test_discovery_pages_through_every_account_and_adds_them_disabled(management, aws_world):
    aws_world.short_pages = True
    result = organization_discover(management=management)
    assert len(result.added) == 32
    added = AwsAccount.objects.get(account_id="000000000005")
    assert added.enabled is False
    assert added.role_arn == f"arn:aws:iam::000000000005:role/security/{ROLE}"
    assert added.external_id == management.external_id
    assert added.name == "member 5"
    assert not AwsAccount.objects.filter(account_id__in=["000000000040", "000000000041"]).exists()
    management.refresh_from_db()
    assert management.is_payer
    assert AuditEvent.objects.filter(action="account.created").count() == 32


def test_discovery_twice_adds_nothing_and_retires_closed_accounts(management, aws_world):
    organization_discover(management=management)
    aws_world.add_account("000000000007", name="member 7", status="SUSPENDED")
    result = organization_discover(management=management)
    assert result.added == []
    assert [a.account_id for a in result.retired] == ["000000000007"]
    retired = AwsAccount.objects.get(account_id="000000000007")
    assert retired.retired_at is not None and not retired.enabled
    assert AwsAccount.objects.count() == 33  # retired, never deleted


def test_the_payer_is_found_from_any_member(management, aws_world):
    AwsAccount.objects.filter(pk=management.pk).update(enabled=False)
    member = AwsAccountFactory(
        account_id="000000000002",
        role_arn=f"arn:aws:iam::000000000002:role/{ROLE}",
        external_id=management.external_id,
    )
    assert member.is_payer is False
    assert organization_find_management() == management
    management.refresh_from_db()
    assert management.is_payer


def test_a_check_enables_a_discovered_account_that_passes(management):
    organization_discover(management=management)
    account = AwsAccount.objects.get(account_id="000000000003")
    check = account_check(account=account, enable_on_success=True)
    assert check.outcome == "ok", check.error
    assert check.caller_arn.startswith("arn:aws:sts::000000000003:assumed-role/")
    account.refresh_from_db()
    assert account.enabled and account.last_check_outcome == "ok"
    by_source = {(r["source"], r["region"]): r["outcome"] for r in check.results}
    assert by_source[("guardduty", "us-east-1")] == "ok"
    assert by_source[("macie", "us-east-1")] == "not_enabled"
    assert by_source[("costs", "us-east-1")] == "skipped"  # not the payer: no USD 0.01 spent


def test_a_check_of_a_role_that_refuses_is_access_denied(management, aws_world):
    account = AwsAccountFactory(account_id="000000000099", regions=["us-east-1"])
    check = account_check(account=account, enable_on_success=True)
    assert check.outcome == "access_denied"
    assert "AssumeRole" in check.error
    account.refresh_from_db()
    assert account.last_check_outcome == "access_denied"


def test_the_role_without_external_id_is_tested_only_when_asked(management, aws_world, emulator):
    aws_world.add_role("111111111111", ROLE, external_id=management.external_id)
    account_check(account=management)
    assert not any(
        c.operation == "AssumeRole" and "ExternalId" not in c.params for c in emulator.calls
    )
    check = account_check(account=management, test_without_external_id=True)
    assert check.external_id_enforced is True
    aws_world.add_role(
        "111111111111", ROLE, external_id=management.external_id, allow_without_external_id=True
    )
    check = account_check(account=management, test_without_external_id=True)
    assert check.external_id_enforced is False


def test_discover_command_with_check(management):
    out = StringIO()
    call_command("discover_accounts", "--check", stdout=out)
    text = out.getvalue()
    assert "added 000000000002" in text and "check=ok enabled=yes" in text
    assert "payer 111111111111; 32 added, 0 retired" in text
    assert AwsAccount.objects.filter(enabled=True).count() == 33
    assert ConnectionCheck.objects.count() == 32


def test_discovery_task_finds_the_management_account_itself(management):
    AwsAccount.objects.filter(pk=management.pk).update(is_payer=True)
    assert discover_organization_task.delay().get() == 32


def test_check_command_prints_results_and_warns_without_external_id(management, aws_world):
    aws_world.add_role(
        "111111111111", ROLE, external_id=management.external_id, allow_without_external_id=True
    )
    out = StringIO()
    call_command("check_account", "111111111111", "--without-external-id", stdout=out)
    assert "111111111111 ok arn:aws:sts::111111111111:assumed-role/" in out.getvalue()
    assert "WITHOUT the ExternalId" in out.getvalue()


def test_onboarding_page_shows_policies_and_the_check_button_runs_a_check(
    client, alice, management, aws_world
):
    import json

    import yaml

    client.force_login(alice)
    response = client.post(
        "/accounts/111111111111/check/", {"without_external_id": "on"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Connection check: OK." in page
    assert "refuses to be assumed without the ExternalId" in page
    trust = json.loads(response.context["trust_policy"])
    statement = trust["Statement"][0]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == management.external_id
    # The hub is an IAM user in the emulator: trusted by its own ARN, learned by the check.
    assert statement["Principal"]["AWS"] == "arn:aws:iam::999999999999:user/watchpost-hub"
    actions = json.loads(response.context["permissions_policy"])["Statement"][0]["Action"]
    assert "guardduty:GetFindings" in actions and not any(
        ":Put" in a or ":Delete" in a for a in actions
    )
    template = yaml.safe_load(response.context["cloudformation"])
    assert template["Resources"]["WatchpostRole"]["Type"] == "AWS::IAM::Role"


def test_non_admins_cannot_run_a_check(client, bob, management):
    client.force_login(bob)
    assert client.post("/accounts/111111111111/check/").status_code == 403
    assert not ConnectionCheck.objects.exists()


def test_collection_health_flags_stale_and_never_run_sources(
    client, alice, management, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import CollectionRun

    CollectionRun.objects.create(
        account=management,
        region="us-east-1",
        source="guardduty",
        outcome="ok",
        finished_at=timezone.now(),
    )
    CollectionRun.objects.create(
        account=management,
        region="us-east-1",
        source="macie",
        outcome="access_denied",
        error="<b>denied</b>",
        started_at=timezone.now() - timedelta(days=1),
        finished_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(alice)
    rows = {(r.source, r.region): r for r in client.get("/collection/").context["rows"]}
    assert rows[("guardduty", "us-east-1")].stale is False
    assert rows[("macie", "us-east-1")].stale is True
    assert rows[("inspector", "us-east-1")].run is None and rows[("inspector", "us-east-1")].stale
    page = client.get("/collection/?outcome=access_denied")
    assert [r.source for r in page.context["rows"]] == ["macie"]
    assert b"&lt;b&gt;denied&lt;/b&gt;" in page.content


def test_collection_health_is_scoped(client, charlie, management):
    from accounts.models import CollectionRun

    CollectionRun.objects.create(
        account=management, region="us-east-1", source="guardduty", outcome="ok"
    )
    client.force_login(charlie)
    assert client.get("/collection/").context["rows"] == []
