"""Logins: throttled per username and per address (django-axes), with a clear message, an Admin
unlock and audit entries, the admin site's login too; passwords: validators wherever one is set,
changing one's own, resetting a forgotten one by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import AuditEvent
from tests.conftest import bearer_client
from tests.factories import UserFactory

LOGIN = "/auth/login/"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def limit(settings, db):
    settings.AXES_FAILURE_LIMIT = 5
    return 5


def _login(client, username, password, address="198.51.100.7", path=LOGIN):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_username_even_with_the_right_password(client, bob, limit):
    for n in range(limit - 1):
        response = _login(client, "bob", f"wrong-{n}", address=f"203.0.113.{n + 1}")
        assert response.status_code == 200  # the form again, "enter a correct username..."
    assert _login(client, "bob", "wrong", address="203.0.113.98").status_code == 429
    response = _login(client, "bob", PASSWORD, address="203.0.113.99")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="login.locked_out", changes__ip_address="203.0.113.98")
    assert event.target_id == str(bob.pk) and event.changes["username"] == "bob"


def test_repeated_failures_lock_the_address_for_every_username(client, bob, alice, limit):
    for n in range(limit):
        _login(client, f"nobody-{n}", "guess")
    assert _login(client, "alice", PASSWORD).status_code == 429
    # From another address alice logs in.
    assert _login(client, "alice", PASSWORD, address="192.0.2.10").status_code == 302
    assert AuditEvent.objects.filter(action="login.locked_out").exists()


def test_a_good_login_before_the_limit_forgets_the_failures(client, bob, limit):
    for _ in range(limit - 1):
        _login(client, "bob", "wrong")
    assert _login(client, "bob", PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit - 1):
        _login(client, "bob", "wrong")
    assert _login(client, "bob", PASSWORD).status_code == 302


def test_the_admin_sites_login_is_throttled_too(client, limit):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(limit):
        _login(client, "root", "wrong", path="/admin/login/")
    response = _login(client, "root", PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_admin_unlocks_a_person_and_it_is_audited(client, alice, bob, limit):
    for n in range(limit):
        _login(client, "bob", "wrong", address=f"203.0.113.{n + 1}")
    admin = client.__class__()
    admin.force_login(alice)
    page = admin.get(f"/accounts/people/{bob.pk}/").content.decode()
    assert "Unlock login" in page
    assert admin.post(f"/accounts/people/{bob.pk}/unlock/").status_code == 302
    assert AuditEvent.objects.filter(action="person.unlocked", target_id=str(bob.pk)).exists()
    assert _login(client, "bob", PASSWORD, address="203.0.113.50").status_code == 302
    # Unlocking is for those who manage people.
    other = client.__class__()
    other.force_login(bob)
    assert other.post(f"/accounts/people/{alice.pk}/unlock/").status_code == 403


def test_api_tokens_keep_working_while_the_login_is_locked(client, bob, limit):
    for _ in range(limit):
        _login(client, "bob", "wrong", address="127.0.0.1")
    assert _login(client, "bob", PASSWORD, address="127.0.0.1").status_code == 429
    assert bearer_client(bob).get("/api/v1/findings/").status_code == 200


def test_a_hostile_username_is_just_a_failure(client, limit):
    for name in ("<script>alert(1)</script>", "a" * 5000, "' OR 1=1 --"):
        response = _login(client, name, "x", address="192.0.2.77")
        assert response.status_code in (200, 429) and b"<script>alert" not in response.content


# --- passwords ---------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password1234", "123456789012", "bob-example-com1"])
def test_an_admin_cannot_give_a_weak_password(client, alice, password):
    client.force_login(alice)
    response = client.post(
        "/accounts/people/add/",
        {"username": "bob-example-com1", "email": "bob@example.com", "password": password},
    )
    assert response.status_code == 200 and b"errors" in response.content
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="bob-example-com1").exists()


def test_an_admin_gives_a_strong_password(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/people/add/",
        {"username": "erin", "email": "erin@example.com", "password": "plaid-otter-cascade-91"},
    )
    assert response.status_code == 302


def test_a_person_changes_their_password(client, bob):
    client.force_login(bob)
    assert client.get("/auth/password/change/").status_code == 200
    weak = {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    assert client.post("/auth/password/change/", weak).status_code == 200
    wrong_old = {
        "old_password": "nope",
        "new_password1": "plaid-otter-cascade-91",
        "new_password2": "plaid-otter-cascade-91",
    }
    assert client.post("/auth/password/change/", wrong_old).status_code == 200
    good = dict(wrong_old, old_password=PASSWORD)
    response = client.post("/auth/password/change/", good)
    assert response.status_code == 302 and response["Location"] == "/auth/password/change/done/"
    bob.refresh_from_db()
    assert bob.check_password("plaid-otter-cascade-91")
    assert client.get("/").status_code == 200  # still logged in
    # Only the change that succeeded is in the audit log, by bob, of bob, no password in it.
    events = list(AuditEvent.objects.filter(action__startswith="password."))
    assert [(e.action, e.actor_id, e.target_id) for e in events] == [
        ("password.changed", bob.pk, str(bob.pk))
    ]
    assert "plaid" not in str(events[0].changes)


def test_a_forgotten_password_is_reset_by_email(client, bob):
    assert client.get("/auth/password/reset/").status_code == 200  # logged out
    response = client.post("/auth/password/reset/", {"email": "bob@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.com"]
    link = re.search(r"http://testserver(/auth/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    url = form.redirect_chain[-1][0]
    weak = {"new_password1": "abcdefgh", "new_password2": "abcdefgh"}
    assert client.post(url, weak).status_code == 200
    good = {"new_password1": "plaid-otter-cascade-91", "new_password2": "plaid-otter-cascade-91"}
    assert client.post(url, good).status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("plaid-otter-cascade-91")
    # Used once: the link no longer works.
    assert b"not valid" in client.get(link, follow=True).content
    # The request and the reset are in the audit log (the weak attempt is not).
    events = AuditEvent.objects.filter(action__startswith="password.").order_by("id")
    assert [(e.action, e.target_id) for e in events] == [
        ("password.reset_requested", str(bob.pk)),
        ("password.reset", str(bob.pk)),
    ]
    assert all("plaid" not in str(e.changes) for e in events)


def test_a_reset_for_an_unknown_or_hostile_address_sends_nothing(client, db):
    for email in ("nobody@example.com", "<script>@x.y"):
        response = client.post("/auth/password/reset/", {"email": email})
        assert response.status_code in (200, 302)
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action__startswith="password.").exists()
