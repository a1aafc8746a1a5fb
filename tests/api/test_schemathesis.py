"""Schemathesis against /api/v1/schema/, in-process over WSGI, on PostgreSQL: no operation answers
5xx, and no answer contradicts the document (schemathesis's response-conformance checks: the body
against the declared schema, the content type, the status code and the declared headers).

Bounded: EXAMPLES per operation, no shrinking beyond hypothesis's default, no example database, so
the whole run stays around a minute on 2 cores. PostgreSQL because NUL bytes and out-of-range
numbers break queries there only. The token is an Admin's write token, so writes are exercised too
(PATCH findings with random If-Match, webhook subscriptions with random URLs); names are never
resolved over the network (a fake resolver refuses them), IP literals are checked as usual.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from accounts.api.throttling import TokenRateThrottle
from accounts.models import AwsAccount
from accounts.services import token_create
from findings.models import Finding
from tests.conftest import collect_demo_organisation

EXAMPLES = 40


@pytest.fixture
def aws_world() -> Any:
    """The demo organisation: what the API answers is real collected data of every kind."""
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def api_schema(postgres: Any, alice: Any, store: Any, emulator: Any, monkeypatch):
    from config.wsgi import application

    collect_demo_organisation()
    account = AwsAccount.objects.get(account_id="222222222222")
    store(account, title="a\u202eb")
    acknowledged = Finding.objects.filter(account=account).order_by("pk")[:5]
    Finding.objects.filter(pk__in=[f.pk for f in acknowledged]).update(
        status="acknowledged", assignee=alice, ticket_ref="SEC-1"
    )
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/min"})
    real = socket.getaddrinfo

    def offline(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(str(host))
        except ValueError as exc:
            raise socket.gaierror(f"{host}: no network in tests") from exc
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    # As Django's test client does: a request must not close the test's connection (it is inside
    # the test's transaction, which close_old_connections takes for a broken one).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(alice: Any) -> dict[str, str]:
    _token, raw = token_create(actor=None, user=alice, name="fuzz", can_write=True)
    return {"Authorization": f"Bearer {raw}"}


CHECKS_NAMES = (
    "not_a_server_error",
    "response_schema_conformance",
    "content_type_conformance",
    "status_code_conformance",
    "response_headers_conformance",
)


def test_no_operation_answers_5xx_or_contradicts_the_schema(
    api_schema: Any, admin_headers: dict[str, str]
) -> None:
    # One hypothesis run per operation inside this test (schemathesis's pytest plugin leans on
    # pytest internals that moved in pytest 9; this loop needs none of them). Every operation runs
    # even when one fails, so a failure lists them all.
    from schemathesis import checks as schemathesis_checks

    checks = [getattr(schemathesis_checks, name) for name in CHECKS_NAMES]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    calls: list[str] = []
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            calls.append(case.operation.label)
            case.call_and_validate(headers=admin_headers, checks=checks)

        try:
            run()
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis failures: listed below
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert len(set(calls)) == len(operations)  # every operation was called
    print(f"schemathesis: {len(operations)} operations, {len(calls)} calls")
