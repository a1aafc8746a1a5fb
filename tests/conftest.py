"""Shared fixtures: the people alice (admin), bob (analyst on one account), charlie (no access).

Tests that need PostgreSQL, Redis or Chromium call `require_service`: they skip on a laptop without the
service, and fail when WATCHPOST_REQUIRE_SERVICES=1 (set by .ci/run), so CI can never pass without them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import AwsAccount
from accounts.services import person_set_access, token_create
from config.celery import app as celery_app
from tests.factories import AwsAccountFactory, UserFactory


def require_service(name: str, available: bool, why: str) -> None:
    """Skip (laptop) or fail (CI) a test whose service is missing."""
    if available:
        return
    message = f"{name} is not available: {why}"
    if os.environ.get("WATCHPOST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (WATCHPOST_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in-process in tests unless a test starts a real worker (docs/architecture.md, Tests)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache (cached reports, rate limit counters)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Test users need no PBKDF2 slowness (about 0.3 s a password)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def postgres(db: Any) -> None:
    """The test database is PostgreSQL."""
    from django.db import connection

    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not PostgreSQL"
    )


@pytest.fixture
def redis_url() -> str:
    """The URL of a Redis that answers."""
    from django.conf import settings

    url = settings.REDIS_URL
    ok = False
    if url:
        import redis

        try:
            ok = bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
        except redis.RedisError:
            ok = False
    require_service("Redis", ok, "REDIS_URL is unset or Redis does not answer")
    return url


@pytest.fixture
def chromium_path() -> str:
    """Debian's chromium, never a downloaded browser."""
    path = "/usr/bin/chromium"
    require_service("Chromium", os.path.exists(path) or bool(shutil.which("chromium")), path)
    return path


@pytest.fixture
def account_a(db: Any) -> AwsAccount:
    return AwsAccountFactory(account_id="222222222222", name="Production")


@pytest.fixture
def account_b(db: Any) -> AwsAccount:
    return AwsAccountFactory(account_id="333333333333", name="Staging")


@pytest.fixture
def alice(db: Any) -> AbstractUser:
    """An Admin who sees every account."""
    user = UserFactory(username="alice")
    person_set_access(actor=None, user=user, role=Role.ADMIN, all_accounts=True, accounts=[])
    return user


@pytest.fixture
def bob(db: Any, account_a: AwsAccount) -> AbstractUser:
    """An Analyst limited to account_a."""
    user = UserFactory(username="bob")
    person_set_access(
        actor=None, user=user, role=Role.ANALYST, all_accounts=False, accounts=[account_a]
    )
    return user


@pytest.fixture
def charlie(db: Any) -> AbstractUser:
    """A Viewer with no account at all: sees nothing."""
    user = UserFactory(username="charlie")
    person_set_access(actor=None, user=user, role=Role.VIEWER, all_accounts=False, accounts=[])
    return user


def bearer_client(user: AbstractUser, *, can_write: bool = False) -> APIClient:
    """An API client authenticated with a fresh token of `user`."""
    _token, raw = token_create(actor=None, user=user, name="test", can_write=can_write)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def aws_world() -> Any:
    """An empty emulated AWS; the hub identity is account 999999999999."""
    from aws_emulator import World

    return World(hub_account_id="999999999999")


@pytest.fixture
def emulator(aws_world: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every boto3 client of this process answered by the emulator; retries without sleeping."""
    from botocore.retries.standard import ExponentialBackoff

    from aws_emulator import Emulator

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    for name in ["AWS_ENDPOINT_URL", "AWS_PROFILE"]:
        monkeypatch.delenv(name, raising=False)
    with Emulator(aws_world) as emu:
        yield emu


def emulate_member(world: Any, account: AwsAccount, *, org: bool = False) -> str:
    """Make `account` exist in the emulated AWS with its role trusting its ExternalId."""
    world.add_account(account.account_id, name=account.name or None)
    world.add_role(account.account_id, account.role_name, external_id=account.external_id)
    return account.account_id


DEMO_MANAGEMENT = "111111111111"


def collect_demo_organisation(*, regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> str:
    """Set up the demo organisation as `make demo` does (the management account added by hand,
    `discover_accounts --check`, then `collect` of every source) against an emulator serving
    `aws_emulator.demo_world`; returns collect's output."""
    from io import StringIO

    from django.core.management import call_command

    from accounts.services import account_upsert

    account_upsert(
        actor=None,
        account_id=DEMO_MANAGEMENT,
        role_arn=f"arn:aws:iam::{DEMO_MANAGEMENT}:role/WatchpostReadOnly",
        external_id="watchpost-demo-external-id",
        regions=list(regions),
    )
    call_command("discover_accounts", "--check", stdout=StringIO())
    out = StringIO()
    call_command("collect", stdout=out)
    return out.getvalue()
