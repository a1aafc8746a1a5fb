"""Costs when accounts were added by hand: the payer is found on collect as discovery finds it, or
every costs line says what to do; admins mark and unmark the payer (page and API), audited."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, AwsAccount
from tests.conftest import bearer_client
from tests.costs.conftest import PAYER, collect

MEMBERS = ("222222222222", "333333333333")


@pytest.fixture
def by_hand(db: Any, emulator: Any, aws_world: Any, clock: Any) -> Any:
    """The demo-like organisation (payer 111111111111), its two members added with add_account and
    no discovery run: nobody is flagged payer."""
    aws_world.organization(management_account_id=PAYER)
    for account_id in (PAYER, *MEMBERS):
        aws_world.add_account(account_id)
        aws_world.add_role(account_id, "WatchpostReadOnly", external_id="ext-by-hand")
    for account_id in MEMBERS:
        add_account(account_id)
    return aws_world


def add_account(account_id: str) -> None:
    call_command(
        "add_account",
        account_id,
        "--role-arn",
        f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
        "--external-id",
        "ext-by-hand",
        "--regions",
        "us-east-1",
        stdout=StringIO(),
    )


def test_collect_finds_the_payer_by_describe_organization_and_collects_from_it(by_hand):
    add_account(PAYER)
    assert not AwsAccount.objects.filter(is_payer=True).exists()
    lines = collect("--source", "costs")
    assert lines[(PAYER, "us-east-1", "costs")][0] == "ok", lines
    for member in MEMBERS:
        outcome, *_rest = lines[(member, "us-east-1", "costs")]
        assert outcome == "skipped"
        assert f"payer account {PAYER}" in " ".join(_rest)
    assert AwsAccount.objects.get(account_id=PAYER).is_payer
    event = AuditEvent.objects.get(action="account.updated", target_repr__contains=PAYER)
    assert event.actor_name == "system"
    assert event.changes["is_payer"] == {"from": False, "to": True}
    assert by_hand.ce(PAYER) is not None


def test_without_the_management_account_every_costs_line_says_what_to_do(by_hand):
    lines = collect("--source", "costs", "--source", "budgets")
    costs = {k: v for k, v in lines.items() if k[2] == "costs"}
    assert set(costs) == {(m, "us-east-1", "costs") for m in MEMBERS}
    for outcome, *rest in costs.values():
        assert outcome == "skipped"
        error = " ".join(rest)
        assert f"add the management account {PAYER}" in error
        assert "DescribeOrganization" in error and "add_account" in error
        assert "mark one as payer" in error
    assert {v[0] for k, v in lines.items() if k[2] == "budgets"} == {"ok"}
    assert not AwsAccount.objects.filter(is_payer=True).exists()


def test_a_disabled_management_account_is_named_and_not_collected(by_hand):
    add_account(PAYER)
    AwsAccount.objects.filter(account_id=PAYER).update(enabled=False)
    lines = collect("--source", "costs")
    for member in MEMBERS:
        outcome, *rest = lines[(member, "us-east-1", "costs")]
        assert outcome == "skipped"
        assert f"management account {PAYER}" in " ".join(rest)
        assert "disabled" in " ".join(rest)


def test_outside_an_organisation_the_message_says_to_mark_the_payer(db, emulator, aws_world, clock):
    aws_world.add_account("222222222222")
    aws_world.add_role("222222222222", "WatchpostReadOnly", external_id="ext-by-hand")
    add_account("222222222222")
    lines = collect("--source", "costs")
    outcome, *rest = lines[("222222222222", "us-east-1", "costs")]
    assert outcome == "skipped"
    error = " ".join(rest)
    assert "no payer account" in error and "mark one as payer" in error
    assert "AWSOrganizationsNotInUseException" in error


# --- admins mark and unmark the payer --------------------------------------------------------


def test_an_admin_marks_the_payer_on_the_account_page_and_the_other_is_unmarked(
    client, alice, account_a, account_b
):
    AwsAccount.objects.filter(pk=account_b.pk).update(is_payer=True)
    client.force_login(alice)
    page = client.get(f"/accounts/{account_a.account_id}/").content.decode()
    assert f'action="/accounts/{account_a.account_id}/payer/"' in page
    response = client.post(f"/accounts/{account_a.account_id}/payer/", {"is_payer": "on"})
    assert response.status_code == 302
    assert list(AwsAccount.objects.filter(is_payer=True)) == [account_a]
    changed = AuditEvent.objects.filter(action="account.updated").order_by("id")
    assert [(e.target_id, e.changes["is_payer"]["to"]) for e in changed] == [
        (str(account_b.pk), False),
        (str(account_a.pk), True),
    ]
    assert all(e.actor_name == "alice" for e in changed)
    client.post(f"/accounts/{account_a.account_id}/payer/", {})
    assert not AwsAccount.objects.filter(is_payer=True).exists()


def test_only_admins_who_see_the_account_mark_the_payer(client, bob, charlie, account_a, alice):
    for person in (bob, charlie):
        client.force_login(person)
        page = client.get(f"/accounts/{account_a.account_id}/").content.decode()
        assert "/payer/" not in page
        response = client.post(f"/accounts/{account_a.account_id}/payer/", {"is_payer": "on"})
        assert response.status_code in (403, 404)
    assert not AwsAccount.objects.filter(is_payer=True).exists()


def test_the_accounts_api_marks_and_unmarks_the_payer_audited(alice, account_a, account_b):
    api = bearer_client(alice, can_write=True)
    response = api.patch(f"/api/v1/accounts/{account_a.account_id}/", {"is_payer": True})
    assert response.status_code == 200, response.content
    assert response.json()["is_payer"] is True
    response = api.patch(f"/api/v1/accounts/{account_b.account_id}/", {"is_payer": True})
    assert response.json()["is_payer"] is True
    assert list(AwsAccount.objects.filter(is_payer=True)) == [account_b]
    events = AuditEvent.objects.filter(action="account.updated", actor_name="alice")
    assert {(e.target_id, e.changes["is_payer"]["to"]) for e in events} == {
        (str(account_a.pk), True),
        (str(account_a.pk), False),
        (str(account_b.pk), True),
    }
    response = api.patch(f"/api/v1/accounts/{account_b.account_id}/", {"is_payer": False})
    assert response.json()["is_payer"] is False
    assert not AwsAccount.objects.filter(is_payer=True).exists()


def test_the_api_refuses_a_hostile_is_payer_value(alice, account_a):
    api = bearer_client(alice, can_write=True)
    for value in ("yes please", "<script>", None, [True]):
        response = api.patch(
            f"/api/v1/accounts/{account_a.account_id}/", {"is_payer": value}, format="json"
        )
        assert response.status_code == 400, (value, response.content)
        assert "is_payer" in response.json()
    assert not AwsAccount.objects.get(pk=account_a.pk).is_payer


def test_a_scoped_admin_cannot_mark_an_account_they_do_not_see(account_a, account_b):
    from accounts.choices import Role
    from accounts.services import person_set_access
    from tests.factories import UserFactory

    erin = UserFactory(username="erin")
    person_set_access(
        actor=None, user=erin, role=Role.ADMIN, all_accounts=False, accounts=[account_a]
    )
    api = bearer_client(erin, can_write=True)
    response = api.patch(f"/api/v1/accounts/{account_b.account_id}/", {"is_payer": True})
    assert response.status_code == 404
    assert not AwsAccount.objects.filter(is_payer=True).exists()


def test_a_scoped_admin_cannot_move_the_payer_away_from_an_account_they_do_not_see(
    account_a, account_b
):
    from accounts.choices import Role
    from accounts.services import person_set_access
    from tests.factories import UserFactory

    AwsAccount.objects.filter(pk=account_b.pk).update(is_payer=True)
    erin = UserFactory(username="erin")
    person_set_access(
        actor=None, user=erin, role=Role.ADMIN, all_accounts=False, accounts=[account_a]
    )
    api = bearer_client(erin, can_write=True)
    response = api.patch(f"/api/v1/accounts/{account_a.account_id}/", {"is_payer": True})
    assert response.status_code == 400
    assert "only an admin who sees it" in response.json()["is_payer"][0]
    assert list(AwsAccount.objects.filter(is_payer=True)) == [account_b]
