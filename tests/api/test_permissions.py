"""The permission matrix of the ticketing API: role x endpoint x own or other account, read and write
tokens; plus the per-token rate limit (429 with Retry-After)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from accounts.api.throttling import TokenRateThrottle
from accounts.choices import Role
from accounts.services import person_set_access
from tests.conftest import bearer_client
from tests.factories import UserFactory

F = "/api/v1/findings/"
ROLES = [Role.ADMIN, Role.ANALYST, Role.MANAGER, Role.VIEWER]
CAN_TRIAGE = {Role.ADMIN, Role.ANALYST}


@pytest.fixture
def world(store, account_a, account_b):
    """One finding in the account every person sees (own), one in the other account."""
    return {"own": store(account_a), "other": store(account_b)}


def person(role: str, account_a) -> object:
    user = UserFactory(username=f"p-{role.lower()}")
    person_set_access(actor=None, user=user, role=role, all_accounts=False, accounts=[account_a])
    return user


def _patch(client, finding):
    return client.patch(f"{F}{finding.pk}/", {"note": "x"}, format="json", HTTP_IF_MATCH="*")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", [False, True])
def test_findings_matrix(world, account_a, role, write):
    client = bearer_client(person(role, account_a), can_write=write)
    own, other = world["own"], world["other"]
    # Reads: every role reads its own account, never the other.
    listed = {r["id"] for r in client.get(F).json()["results"]}
    assert listed == {own.pk}
    assert client.get(f"{F}{own.pk}/").status_code == 200
    assert client.get(f"{F}{other.pk}/").status_code == 404
    exported = {r["id"] for r in json.loads(b"".join(client.get(f"{F}export/").streaming_content))}
    assert exported == {own.pk}
    feed = client.get(F, {"updated_since": "2000-01-01T00:00:00Z"}).json()
    assert [r["id"] for r in feed["results"]] == [own.pk]
    # Writes: a write token and a triaging role; another account's finding is 404 to them.
    expected_own = 200 if write and role in CAN_TRIAGE else 403
    expected_other = 404 if write and role in CAN_TRIAGE else 403
    assert _patch(client, own).status_code == expected_own
    assert _patch(client, other).status_code == expected_other


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", [False, True])
def test_webhooks_matrix(account_a, role, write, settings):
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = True
    client = bearer_client(person(role, account_a), can_write=write)
    admin = role == Role.ADMIN
    assert client.get("/api/v1/webhooks/").status_code == (200 if admin else 403)
    assert client.get("/api/v1/webhook-deliveries/").status_code == (200 if admin else 403)
    body = {"name": "x", "url": "http://127.0.0.1:9/x", "events": ["finding.created"]}
    created = client.post("/api/v1/webhooks/", body, format="json")
    assert created.status_code == (201 if admin and write else 403)


def test_charlie_sees_nothing_and_writes_nothing(charlie, world):
    client = bearer_client(charlie, can_write=True)
    assert client.get(F).json()["count"] == 0
    assert json.loads(b"".join(client.get(f"{F}export/").streaming_content)) == []
    assert client.get(f"{F}{world['own'].pk}/").status_code == 404
    assert _patch(client, world["own"]).status_code == 403  # a Viewer: no workflow permission


def test_no_token_is_401_everywhere(world):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    own = world["own"]
    for method, url in [
        ("get", F),
        ("get", f"{F}{own.pk}/"),
        ("patch", f"{F}{own.pk}/"),
        ("get", f"{F}export/"),
        ("get", "/api/v1/webhooks/"),
        ("post", "/api/v1/webhooks/"),
        ("get", "/api/v1/webhook-deliveries/"),
    ]:
        assert getattr(anonymous, method)(url).status_code == 401, (method, url)


def test_the_rate_limit_is_per_token_with_retry_after(alice, world, monkeypatch):
    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    first, second = bearer_client(alice), bearer_client(alice)
    assert [first.get(F).status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get(F, {"updated_since": "2000-01-01T00:00:00Z"})
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "detail" in limited.json()
    assert second.get(F).status_code == 200  # another token has its own budget
    cache.clear()


def test_the_default_rate_suits_a_poller(settings):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
    count, period = rate.split("/")
    assert period.startswith("min") and int(count) >= 600


def test_the_rate_limit_window_expires_on_redis(alice, world, redis_url, monkeypatch):
    """On Redis the window's counter is one script call: counted per request, and set to expire
    just after its window (a minute and a second), so no counter outlives its window."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)  # REDIS_URL set: the cache is Redis

    def no_incr(*args, **kwargs):
        raise AssertionError("incr: EXISTS then INCR, two round trips")

    monkeypatch.setattr(RedisCache, "incr", no_incr)
    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    client = bearer_client(alice)
    assert [client.get(F).status_code for _ in range(4)] == [200, 200, 200, 429]
    redis = cache._cache.get_client(None)  # type: ignore[attr-defined]
    keys = [key for key in redis.keys("*") if b"throttle_token_token-" in key]
    assert len(keys) == 1
    assert int(redis.get(keys[0])) == 4
    assert 0 < redis.ttl(keys[0]) <= 61
    cache.clear()
