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


ARN = "arn:aws:iam::444444444444:role/WatchpostReadOnly"


@pytest.mark.django_db
def test_an_admin_with_a_write_token_creates_and_changes_an_account(alice) -> None:
    client = bearer_client(alice, can_write=True)
    response = client.post(
        "/api/v1/accounts/",
        {"account_id": "444444444444", "role_arn": ARN, "name": "Data", "regions": ["eu-west-1"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["external_id"].startswith("watchpost-")
    response = client.patch("/api/v1/accounts/444444444444/", {"owner": "data-team"}, format="json")
    assert response.status_code == 200
    account = AwsAccount.objects.get(account_id="444444444444")
    assert (account.owner, account.regions, account.enabled) == ("data-team", ["eu-west-1"], True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"account_id": "44444", "role_arn": ARN}, "account_id"),
        (
            {"account_id": "444444444444", "role_arn": "arn:aws:iam::555555555555:role/X"},
            "role_arn",
        ),
        (
            {"account_id": "444444444444", "role_arn": "arn:aws:iam::444444444444:user/x"},
            "role_arn",
        ),
        ({"account_id": "444444444444", "role_arn": ARN, "regions": ["mars-1"]}, "regions"),
        ({"account_id": "444444444444", "role_arn": ARN, "regions": "us-east-1"}, "regions"),
        ({"account_id": "444444444444", "role_arn": ARN, "sources": ["gd"]}, "sources"),
        ({"account_id": "444444444444", "role_arn": ARN, "external_id": "a b"}, "external_id"),
        ({"role_arn": ARN}, "account_id"),
    ],
)
def test_bad_values_answer_400_naming_the_field_and_write_nothing(alice, payload, field) -> None:
    response = bearer_client(alice, can_write=True).post(
        "/api/v1/accounts/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not AwsAccount.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_account_is_refused(alice, account_a) -> None:
    response = bearer_client(alice, can_write=True).post(
        "/api/v1/accounts/",
        {"account_id": account_a.account_id, "role_arn": account_a.role_arn},
        format="json",
    )
    assert response.status_code == 400 and "account_id" in response.json()


@pytest.mark.django_db
def test_a_bad_patch_changes_nothing(alice, account_a) -> None:
    client = bearer_client(alice, can_write=True)
    response = client.patch(
        f"/api/v1/accounts/{account_a.account_id}/",
        {"name": "Renamed", "role_arn": "arn:aws:iam::999999999999:role/X"},
        format="json",
    )
    assert response.status_code == 400 and "role_arn" in response.json()
    account_a.refresh_from_db()
    assert account_a.name == "Production"


@pytest.mark.django_db
def test_writes_need_an_admin_and_a_write_token(alice, bob, account_a) -> None:
    body = {"account_id": "444444444444", "role_arn": ARN}
    assert bearer_client(alice).post("/api/v1/accounts/", body, format="json").status_code == 403
    analyst = bearer_client(bob, can_write=True)
    assert analyst.post("/api/v1/accounts/", body, format="json").status_code == 403
    assert (
        analyst.patch("/api/v1/accounts/222222222222/", {"name": "x"}, format="json").status_code
        == 403
    )
    assert (
        bearer_client(alice, can_write=True).delete("/api/v1/accounts/222222222222/").status_code
        == 405
    )
    assert not AwsAccount.objects.filter(account_id="444444444444").exists()


@pytest.mark.django_db
def test_a_token_over_its_rate_gets_429_with_retry_after(alice, bob, monkeypatch) -> None:
    from django.core.cache import cache

    from accounts.api.throttling import TokenRateThrottle

    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    client = bearer_client(alice)
    assert [client.get("/api/v1/accounts/").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/accounts/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "throttled" in limited.json()["detail"].lower()
    assert bearer_client(bob).get("/api/v1/accounts/").status_code == 200  # its own budget
    cache.clear()


def test_the_default_rate_lets_a_poller_make_600_requests_a_minute() -> None:
    from accounts.api.throttling import TokenRateThrottle

    num, seconds = TokenRateThrottle().parse_rate(TokenRateThrottle.THROTTLE_RATES["token"])
    assert num * 60 / seconds >= 600
