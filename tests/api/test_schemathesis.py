"""Schemathesis against /api/v1/schema/, in-process over WSGI, on PostgreSQL: no operation answers 5xx.

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
from accounts.services import token_create

EXAMPLES = 40


@pytest.fixture
def api_schema(postgres: Any, alice: Any, store: Any, account_a: Any, account_b: Any, monkeypatch):
    from config.wsgi import application

    store(account_a)
    store(account_b, title="a\u202eb")
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


def test_no_operation_answers_5xx(api_schema: Any, admin_headers: dict[str, str]) -> None:
    # One hypothesis run per operation inside this test (schemathesis's pytest plugin leans on
    # pytest internals that moved in pytest 9; this loop needs none of them).
    from schemathesis.checks import not_a_server_error

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
            calls.append(case.operation.label)

        run()
    assert len(set(calls)) == len(operations)  # every operation was called
    print(f"schemathesis: {len(operations)} operations, {len(calls)} calls")
