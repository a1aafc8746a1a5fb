"""Pages of the accounts app: login, dashboard, accounts, people, tokens, audit log."""

import pytest
from django.test import Client

from accounts.choices import Role
from accounts.models import ApiToken, AuditEvent, AwsAccount


@pytest.mark.django_db
def test_every_page_but_login_and_healthz_requires_login(client: Client) -> None:
    for url in ["/", "/accounts/", "/findings/", "/costs/", "/accounts/tokens/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/auth/login/"), url
    assert client.get("/auth/login/").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["broker"] in ("ok", "in_process")


@pytest.mark.django_db
def test_healthz_reports_a_live_redis_broker(client: Client, redis_url: str) -> None:
    assert client.get("/healthz").json()["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client: Client, settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.mark.django_db
def test_login_with_password_lands_on_the_dashboard(client: Client, alice, account_a) -> None:
    response = client.post(
        "/auth/login/", {"username": "alice", "password": "correct-horse-battery"}, follow=True
    )
    assert response.status_code == 200
    assert b"222222222222" in response.content
    assert b"Collection health" in response.content


@pytest.mark.django_db
def test_dashboard_lists_only_the_accounts_a_person_sees(
    client: Client, bob, account_a, account_b
) -> None:
    client.force_login(bob)
    page = client.get("/").content
    assert b"222222222222" in page and b"333333333333" not in page
    assert client.get("/accounts/333333333333/").status_code == 404
    assert client.get("/accounts/222222222222/").status_code == 200


@pytest.mark.django_db
def test_charlie_sees_no_account_anywhere(client: Client, charlie, account_a, account_b) -> None:
    client.force_login(charlie)
    for url in ["/", "/accounts/"]:
        page = client.get(url).content
        assert b"222222222222" not in page and b"333333333333" not in page
        assert b"You see no member accounts" in page


@pytest.mark.django_db
def test_the_last_placeholder_page_is_built(client: Client, alice) -> None:
    client.force_login(alice)
    response = client.get("/inspector/")
    assert response.status_code == 200
    assert b"not built yet" not in response.content and b"Inspector report" in response.content


@pytest.mark.django_db
def test_role_arn_and_external_id_shown_to_admins_only(
    client: Client, alice, bob, account_a
) -> None:
    client.force_login(alice)
    assert account_a.external_id.encode() in client.get("/accounts/222222222222/").content
    client.force_login(bob)
    assert account_a.external_id.encode() not in client.get("/accounts/222222222222/").content


@pytest.mark.django_db
def test_admin_adds_an_account_through_the_form(client: Client, alice) -> None:
    client.force_login(alice)
    response = client.post(
        "/accounts/add/",
        {
            "account_id": "444444444444",
            "name": "Data",
            "role_arn": "arn:aws:iam::444444444444:role/WatchpostReadOnly",
            "external_id": "",
            "regions": ["us-east-1"],
            "sources": ["guardduty", "macie"],
            "enabled": "on",
            "tags": "team=data\nenv=prod",
        },
    )
    assert response.status_code == 302
    account = AwsAccount.objects.get(account_id="444444444444")
    assert account.tags == {"team": "data", "env": "prod"}
    assert account.sources == ["guardduty", "macie"]
    assert account.external_id.startswith("watchpost-")
    event = AuditEvent.objects.get(action="account.created")
    assert event.actor_name == "alice"


@pytest.mark.django_db
def test_the_form_refuses_an_arn_of_another_account_naming_the_field(client: Client, alice) -> None:
    client.force_login(alice)
    response = client.post(
        "/accounts/add/",
        {
            "account_id": "444444444444",
            "role_arn": "arn:aws:iam::555555555555:role/WatchpostReadOnly",
            "regions": ["us-east-1", "eu-west-1"],
            "tags": "",
        },
    )
    assert response.status_code == 200
    assert "role_arn" in response.context["form"].errors
    assert "555555555555" in str(response.context["form"].errors["role_arn"])
    assert not AwsAccount.objects.exists()


@pytest.mark.django_db
def test_editing_keeps_the_external_id_and_audits_the_change(
    client: Client, alice, account_a
) -> None:
    client.force_login(alice)
    original = account_a.external_id
    client.post(
        f"/accounts/{account_a.account_id}/edit/",
        {
            "name": "Production EU",
            "role_arn": account_a.role_arn,
            "external_id": "",
            "regions": ["eu-west-1"],
            "sources": ["guardduty"],
            "enabled": "on",
            "tags": "",
        },
    )
    account_a.refresh_from_db()
    assert account_a.external_id == original
    assert account_a.name == "Production EU"
    event = AuditEvent.objects.get(action="account.updated")
    assert event.changes["name"] == {"from": "Production", "to": "Production EU"}


@pytest.mark.django_db
def test_non_admins_cannot_add_or_edit_accounts_or_manage_people(
    client: Client, bob, account_a
) -> None:
    client.force_login(bob)
    assert client.get("/accounts/add/").status_code == 403
    assert client.get(f"/accounts/{account_a.account_id}/edit/").status_code == 403
    assert client.get("/accounts/people/").status_code == 403
    assert client.get("/accounts/audit/").status_code == 403


@pytest.mark.django_db
def test_admin_limits_a_person_to_one_account(
    client: Client, alice, charlie, account_a, account_b
) -> None:
    client.force_login(alice)
    response = client.post(
        f"/accounts/people/{charlie.pk}/",
        {"role": Role.MANAGER, "accounts": [account_b.pk], "is_active": "on"},
    )
    assert response.status_code == 302
    client.force_login(charlie)
    page = client.get("/accounts/").content
    assert b"333333333333" in page and b"222222222222" not in page
    assert charlie.groups.get().name == Role.MANAGER
    assert AuditEvent.objects.filter(
        action="person.access_changed", target_id=str(charlie.pk)
    ).exists()


@pytest.mark.django_db
def test_a_person_creates_a_token_sees_it_once_and_revokes_it(client: Client, bob) -> None:
    client.force_login(bob)
    response = client.post("/accounts/tokens/", {"name": "Jira", "can_write": "on"}, follow=True)
    raw = response.context["new_raw"]
    assert raw and raw.encode() in response.content
    assert raw.encode() not in client.get("/accounts/tokens/").content
    token = ApiToken.objects.get()
    assert token.can_write and token.user == bob
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.django_db
def test_a_person_cannot_revoke_another_persons_token(client: Client, alice, bob) -> None:
    from accounts.services import token_create

    token, _ = token_create(actor=None, user=alice, name="alice's")
    client.force_login(bob)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_roles_are_groups_with_their_permissions() -> None:
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert names >= {"Admin", "Analyst", "Manager", "Viewer"}
    admin_perms = set(
        Group.objects.get(name="Admin").permissions.values_list("codename", flat=True)
    )
    assert {"manage_accounts", "manage_people", "view_audit_log"} <= admin_perms
    assert not Group.objects.get(name="Viewer").permissions.exists()


@pytest.mark.django_db
def test_favicon_ico_needs_no_login(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
