"""Organisational units: discovery reads the tree and keeps it current; access granted per OU
follows the tree; organizational-units/ is scoped."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import AuditEvent, AwsAccount, OrganizationalUnit
from accounts.ous import accounts_under_ous, organization_ou_sync, ou_list_for_user
from accounts.selectors import account_list_for_user, account_scope_for_user
from accounts.services import person_set_access
from tests.conftest import bearer_client
from tests.factories import AwsAccountFactory, UserFactory

ROLE = "WatchpostReadOnly"


@pytest.fixture
def tree(db, emulator, aws_world):
    """Root: mgmt; Workloads (Prod: 2 accounts; Dev: 1, Dev/Sandbox: 25 accounts); Data: 1."""
    mgmt = AwsAccountFactory(
        account_id="111111111111",
        role_arn=f"arn:aws:iam::111111111111:role/{ROLE}",
        external_id="watchpost-org-external-id",
        regions=["us-east-1"],
    )
    aws_world.organization("111111111111")
    aws_world.add_role("111111111111", ROLE, external_id=mgmt.external_id)
    root = aws_world.org.root_id
    ids = {"root": root, "workloads": aws_world.add_ou(root, "Workloads")}
    ids["prod"] = aws_world.add_ou(ids["workloads"], "Prod")
    ids["dev"] = aws_world.add_ou(ids["workloads"], "Dev")
    ids["sandbox"] = aws_world.add_ou(ids["dev"], "Sandbox <script>")
    ids["data"] = aws_world.add_ou(root, "Data")
    placement = {"prod": [2, 3], "dev": [4], "data": [5], "sandbox": list(range(10, 35))}
    for where, numbers in placement.items():
        for n in numbers:
            account_id = f"{n:012d}"
            aws_world.add_account(account_id, name=f"member {n}")
            aws_world.move_account(account_id, ids[where])
            AwsAccountFactory(account_id=account_id)
    return mgmt, ids


def test_discovery_reads_every_ou_and_places_every_account(tree, aws_world, emulator):
    mgmt, ids = tree
    aws_world.short_pages = True
    result = organization_ou_sync(management=mgmt)
    assert sorted(result.added) == sorted(ids.values())
    sandbox = OrganizationalUnit.objects.get(ou_id=ids["sandbox"])
    assert sandbox.name == "Sandbox <script>"
    assert sandbox.parent.ou_id == ids["dev"]
    assert sandbox.path == f"{ids['root']}/{ids['workloads']}/{ids['dev']}/{ids['sandbox']}/"
    assert AwsAccount.objects.get(account_id="000000000020").ou == sandbox
    assert AwsAccount.objects.get(account_id="111111111111").ou.ou_id == ids["root"]
    # 25 accounts in Sandbox: short pages of the 20 at most AWS gives are all followed.
    assert AwsAccount.objects.filter(ou=sandbox).count() == 25
    assert emulator.count("organizations", "ListAccountsForParent") > 6


def test_the_tree_is_kept_current_and_moves_are_audited(tree, aws_world):
    mgmt, ids = tree
    organization_ou_sync(management=mgmt)
    aws_world.move_account("000000000004", ids["data"])
    aws_world.move_account("000000000002", ids["root"])
    aws_world.move_account("000000000003", ids["root"])
    aws_world.delete_ou(ids["prod"])
    aws_world.org.ous[ids["data"]].name = "Analytics"
    result = organization_ou_sync(management=mgmt)
    assert result.added == [] and result.removed == [ids["prod"]]
    assert sorted(result.moved) == ["000000000002", "000000000003", "000000000004"]
    assert AwsAccount.objects.get(account_id="000000000004").ou.ou_id == ids["data"]
    assert OrganizationalUnit.objects.get(ou_id=ids["data"]).name == "Analytics"
    event = AuditEvent.objects.filter(action="account.ou_changed").order_by("id").last()
    assert event.changes["ou"]["from"] in (ids["prod"], ids["dev"])
    assert organization_ou_sync(management=mgmt).moved == []  # a rerun changes nothing


def test_discover_accounts_reads_the_tree_too(tree):
    out = StringIO()
    call_command("discover_accounts", "--management-account", "111111111111", stdout=out)
    assert "organisational units: 6 added" in out.getvalue()
    assert OrganizationalUnit.objects.count() == 6


def test_accounts_under_an_ou_include_every_ou_below_it(tree):
    mgmt, ids = tree
    organization_ou_sync(management=mgmt)
    under = set(accounts_under_ous([ids["workloads"]]).values_list("account_id", flat=True))
    assert under == {f"{n:012d}" for n in [2, 3, 4, *range(10, 35)]}
    assert set(accounts_under_ous([ids["data"]]).values_list("account_id", flat=True)) == {
        "000000000005"
    }
    for hostile in ["ou-zzzz-zzzzzzzz", "' OR 1=1 --", "r-\x00", ""]:
        assert not accounts_under_ous([hostile]).exists()


def test_access_granted_per_ou_follows_the_tree(tree, aws_world, django_assert_num_queries):
    mgmt, ids = tree
    organization_ou_sync(management=mgmt)
    dana = UserFactory(username="dana")
    dev = OrganizationalUnit.objects.get(ou_id=ids["dev"])
    single = AwsAccount.objects.get(account_id="000000000002")
    person_set_access(
        actor=None, user=dana, role=Role.VIEWER, all_accounts=False, accounts=[single], ous=[dev]
    )
    expected = {"000000000002", "000000000004", *(f"{n:012d}" for n in range(10, 35))}
    assert set(account_list_for_user(user=dana).values_list("account_id", flat=True)) == expected
    with django_assert_num_queries(1):
        scope = account_scope_for_user(user=dana)
    assert set(AwsAccount.objects.filter(pk__in=scope).values_list("account_id", flat=True)) == (
        expected
    )
    # The tree changes: an account moved into Dev is seen, one moved out is not.
    aws_world.move_account("000000000005", ids["dev"])
    aws_world.move_account("000000000004", ids["data"])
    organization_ou_sync(management=mgmt)
    now_seen = set(account_list_for_user(user=dana).values_list("account_id", flat=True))
    assert "000000000005" in now_seen and "000000000004" not in now_seen
    assert (
        set(
            AwsAccount.objects.filter(pk__in=account_scope_for_user(user=dana)).values_list(
                "account_id", flat=True
            )
        )
        == now_seen
    )
    assert AuditEvent.objects.filter(
        action="person.access_changed", changes__ous={"from": [], "to": [ids["dev"]]}
    ).exists()


def test_organizational_units_api_shows_only_what_the_person_sees(tree, alice, charlie):
    mgmt, ids = tree
    organization_ou_sync(management=mgmt)
    erin = UserFactory(username="erin")
    person_set_access(
        actor=None,
        user=erin,
        role=Role.VIEWER,
        all_accounts=False,
        accounts=[AwsAccount.objects.get(account_id="000000000005")],
    )
    body = bearer_client(erin).get("/api/v1/organizational-units/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(r["id"], r["parent"], r["accounts"]) for r in rows] == [
        (ids["root"], None, []),
        (ids["data"], ids["root"], ["000000000005"]),
    ]
    every = bearer_client(alice).get("/api/v1/organizational-units/").json()
    every_rows = every["results"] if isinstance(every, dict) else every
    assert len(every_rows) == 6
    sandbox = next(r for r in every_rows if r["id"] == ids["sandbox"])
    assert sandbox["name"] == "Sandbox <script>" and len(sandbox["accounts"]) == 25
    nothing = bearer_client(charlie).get("/api/v1/organizational-units/").json()
    assert (nothing["results"] if isinstance(nothing, dict) else nothing) == []
    assert (
        bearer_client(erin).get(f"/api/v1/organizational-units/{ids['prod']}/").status_code == 404
    )
    assert len(ou_list_for_user(user=charlie)) == 0


def test_an_admin_grants_an_ou_on_the_people_page(client, alice, charlie, account_a, account_b):
    from tests.factories import DATA_ID, ou_tree

    units = ou_tree(prod=[account_a], data=[account_b])
    client.force_login(alice)
    form = client.get(f"/accounts/people/{charlie.pk}/").content.decode()
    assert "Sandbox" not in form and "Organisational units" in form
    response = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.MANAGER, "ous": [units["data"].pk], "is_active": "on"},
    )
    assert response.status_code == 302
    assert set(account_list_for_user(user=charlie).values_list("account_id", flat=True)) == {
        "333333333333"
    }
    bad = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.MANAGER, "ous": ["' OR 1=1"], "is_active": "on"},
    )
    assert bad.status_code == 200 and "ous" in bad.context["form"].errors
    assert [
        r["id"] for r in bearer_client(charlie).get("/api/v1/organizational-units/").json()
    ] == [
        "r-ab12",
        DATA_ID,
    ]
