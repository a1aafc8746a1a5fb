"""Nobody changes their own access; a person grants only the accounts they see themselves."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from accounts.models import AccessProfile
from accounts.services import AccessRefused, person_set_access, person_set_active
from tests.factories import UserFactory


@pytest.fixture
def dave(db, account_a):
    """An Admin limited to account_a."""
    user = UserFactory(username="dave")
    person_set_access(
        actor=None, user=user, role=Role.ADMIN, all_accounts=False, accounts=[account_a]
    )
    return user


def _profile(user):
    profile = AccessProfile.objects.get(user=user)
    return profile.all_accounts, sorted(a.account_id for a in profile.accounts.all())


def test_a_scoped_admin_cannot_widen_their_own_access(client, dave, account_a, account_b):
    client.force_login(dave)
    page = client.get(f"/accounts/people/{dave.pk}/")
    assert page.status_code == 200 and b"Nobody changes their own access" in page.content
    assert b'name="all_accounts"' not in page.content
    for body in (
        {"role": Role.ADMIN, "all_accounts": "on", "is_active": "on"},
        {"role": Role.ADMIN, "accounts": [account_a.pk, account_b.pk], "is_active": "on"},
    ):
        assert client.post(f"/accounts/people/{dave.pk}/", body).status_code == 403
    assert _profile(dave) == (False, ["222222222222"])
    with pytest.raises(AccessRefused):
        person_set_access(actor=dave, user=dave, role=Role.ADMIN, all_accounts=True, accounts=[])


def test_even_an_all_accounts_admin_does_not_edit_themselves(client, alice, account_a):
    client.force_login(alice)
    body = {"role": Role.VIEWER, "accounts": [account_a.pk], "is_active": "on"}
    assert client.post(f"/accounts/people/{alice.pk}/", body).status_code == 403
    assert _profile(alice) == (True, [])
    assert alice.groups.get().name == Role.ADMIN


def test_a_scoped_admin_grants_only_accounts_they_see(client, dave, charlie, account_a, account_b):
    client.force_login(dave)
    page = client.get(f"/accounts/people/{charlie.pk}/").content.decode()
    assert "222222222222" in page and "333333333333" not in page
    response = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.VIEWER, "accounts": [account_b.pk], "is_active": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert _profile(charlie) == (False, [])
    # "Sees every account" is not theirs to give: the field is disabled and ignored.
    response = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.VIEWER, "all_accounts": "on", "accounts": [account_a.pk], "is_active": "on"},
    )
    assert response.status_code == 302
    assert _profile(charlie) == (False, ["222222222222"])
    with pytest.raises(AccessRefused, match="333333333333"):
        person_set_access(
            actor=dave, user=charlie, role=None, all_accounts=False, accounts=[account_b]
        )
    with pytest.raises(AccessRefused):
        person_set_access(actor=dave, user=charlie, role=None, all_accounts=True, accounts=[])
    assert _profile(charlie) == (False, ["222222222222"])


def test_a_scoped_admin_cannot_change_someone_who_sees_more(client, dave, alice, bob, account_b):
    person_set_access(
        actor=None, user=bob, role=Role.ANALYST, all_accounts=False, accounts=[account_b]
    )
    client.force_login(dave)
    for person in (alice, bob):
        assert (
            b"sees accounts you do not see" in client.get(f"/accounts/people/{person.pk}/").content
        )
        body = {"role": Role.VIEWER, "is_active": ""}
        assert client.post(f"/accounts/people/{person.pk}/", body).status_code == 403
    with pytest.raises(AccessRefused):
        person_set_active(actor=dave, user=alice, active=False)
    alice.refresh_from_db()
    assert alice.is_active and alice.groups.get().name == Role.ADMIN


def test_an_all_accounts_admin_grants_anything_to_others(client, alice, charlie, account_b):
    client.force_login(alice)
    response = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.VIEWER, "all_accounts": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    assert _profile(charlie) == (True, [])


def test_a_hostile_account_value_is_a_form_error(client, alice, charlie):
    client.force_login(alice)
    for value in ("<script>", "99999999", "-1"):
        response = client.post(
            f"/accounts/people/{charlie.pk}/",
            {"role": Role.VIEWER, "accounts": [value], "is_active": "on"},
        )
        assert response.status_code == 200 and b"<script>" not in response.content
