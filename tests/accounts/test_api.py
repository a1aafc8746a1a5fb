"""The API's base: bearer tokens, 401/403/404, the list format, page_size, scoping, the schema."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, AwsAccount
from accounts.services import token_create, token_revoke
from tests.conftest import bearer_client
from tests.factories import AwsAccountFactory


@pytest.mark.django_db
def test_no_token_answers_401_json_never_a_redirect(account_a) -> None:
    response = APIClient().get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "credentials" in response.json()["detail"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer ", "Bearer a b", "Bearer wp_" + "x" * 43]
)
def test_a_bad_token_answers_401(header: str, alice) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/accounts/").status_code == 401


@pytest.mark.django_db
def test_expired_and_revoked_tokens_answer_401(alice) -> None:
    token, raw = token_create(actor=None, user=alice, name="t", expires_in_days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/accounts/").status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    token_revoke(actor=alice, token=ApiToken.objects.get(pk=token.pk))
    assert client.get("/api/v1/accounts/").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_owner_token_answers_401(bob) -> None:
    client = bearer_client(bob)
    bob.is_active = False
    bob.save()
    assert client.get("/api/v1/accounts/").status_code == 401


@pytest.mark.django_db
def test_token_is_stored_only_as_a_hash_and_marks_its_use(alice) -> None:
    token, raw = token_create(actor=None, user=alice, name="t")
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.key_hash, stored.prefix, stored.name)
    assert stored.last_used_at is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/accounts/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.django_db
def test_a_read_only_token_gets_403_on_a_write(alice) -> None:
    response = bearer_client(alice).post("/api/v1/accounts/", {"account_id": "1"})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


@pytest.mark.django_db
def test_list_format_and_fields(alice, account_a) -> None:
    body = bearer_client(alice).get("/api/v1/accounts/").json()
    assert set(body) >= {"results", "next", "count"}
    (row,) = body["results"]
    assert row["account_id"] == "222222222222"
    for field in [
        "name",
        "regions",
        "sources",
        "enabled",
        "is_payer",
        "last_check_at",
        "last_check_outcome",
    ]:
        assert field in row
    assert row["role_arn"] == account_a.role_arn
    assert row["external_id"] == account_a.external_id


@pytest.mark.django_db
def test_role_arn_and_external_id_only_for_admins(bob, account_a) -> None:
    row = bearer_client(bob).get("/api/v1/accounts/").json()["results"][0]
    assert "role_arn" not in row
    assert "external_id" not in row
    detail = bearer_client(bob).get("/api/v1/accounts/222222222222/").json()
    assert "external_id" not in detail


@pytest.mark.django_db
def test_a_limited_user_sees_only_their_account_and_404_for_others(
    bob, account_a, account_b
) -> None:
    client = bearer_client(bob)
    ids = [a["account_id"] for a in client.get("/api/v1/accounts/").json()["results"]]
    assert ids == ["222222222222"]
    assert client.get("/api/v1/accounts/333333333333/").status_code == 404
    assert client.get("/api/v1/accounts/222222222222/").status_code == 200


@pytest.mark.django_db
def test_charlie_sees_nothing(charlie, account_a, account_b) -> None:
    client = bearer_client(charlie)
    assert client.get("/api/v1/accounts/").json()["results"] == []
    assert client.get("/api/v1/accounts/222222222222/").status_code == 404


@pytest.mark.django_db
def test_a_user_without_a_profile_sees_nothing(account_a) -> None:
    from tests.factories import UserFactory

    assert bearer_client(UserFactory()).get("/api/v1/accounts/").json()["results"] == []


@pytest.mark.django_db
def test_page_size_default_50_and_clamped_to_500(alice) -> None:
    AwsAccount.objects.bulk_create(
        AwsAccountFactory.build(account_id=f"{500000000000 + i:012d}") for i in range(501)
    )
    client = bearer_client(alice)
    body = client.get("/api/v1/accounts/").json()
    assert len(body["results"]) == 50 and body["next"]
    assert len(client.get("/api/v1/accounts/?page_size=10000").json()["results"]) == 500


@pytest.mark.django_db
def test_accounts_list_query_count_is_fixed(alice, django_assert_max_num_queries) -> None:
    for i in range(30):
        AwsAccountFactory(account_id=f"{400000000000 + i:012d}")
    client = bearer_client(alice)
    # token lookup, last-used update, profile, permission check (2), count, page.
    with django_assert_max_num_queries(8):
        client.get("/api/v1/accounts/?page_size=100")


@pytest.mark.django_db
def test_browser_session_works_on_the_api(client, alice, account_a) -> None:
    client.force_login(alice)
    assert client.get("/api/v1/accounts/").status_code == 200


@pytest.mark.django_db
def test_schema_and_docs_are_served_with_the_bearer_scheme() -> None:
    client = APIClient()
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/accounts/" in doc["paths"]
    assert any(s.get("scheme") == "bearer" for s in doc["components"]["securitySchemes"].values())
    docs = client.get("/api/v1/schema/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


@pytest.mark.django_db
def test_unknown_api_url_answers_json_404(alice) -> None:
    response = bearer_client(alice).get("/api/v1/nothing-here/")
    assert response.status_code == 404
