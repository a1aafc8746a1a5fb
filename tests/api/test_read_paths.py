"""The hot read paths written for speed answer exactly what the ORM and DRF answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.selectors import account_scope_for_user, token_get_by_raw
from accounts.services import person_set_access, token_create
from core.api.encoder import PlainValuesIterable, encoder_for, plain_values
from core.keyset import count_capped
from findings.api.serializers import FindingSerializer
from findings.governance.sla import with_sla
from findings.models import Finding, FindingVulnerability
from findings.rows import finding_rows
from tests.conftest import bearer_client
from tests.factories import UserFactory

HOSTILE = "<script>alert(1)</script> ' \" \\ \u2028 é 🦀 %s %(x)s ; DROP TABLE x; --"


@pytest.mark.django_db
def test_a_token_comes_with_its_user_in_one_query(alice) -> None:
    token, raw = token_create(actor=None, user=alice, name="t")
    with CaptureQueriesContext(connection) as queries:
        found = token_get_by_raw(raw=raw)
        assert found is not None and found.pk == token.pk
        assert found.user.username == "alice" and found.user.is_active
        assert found.created_at.tzinfo is not None and found.key_hash == token.key_hash
    assert len(queries) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [HOSTILE, "x" * 5000, "wp_\x00abc", "' OR '1'='1"])
def test_hostile_token_values_find_nothing(raw: str, alice) -> None:
    token_create(actor=None, user=alice, name="t")
    assert token_get_by_raw(raw=raw) is None
    client = APIClient()
    header = f"Bearer {raw.replace(chr(0), '')}".encode().decode("latin-1")  # as WSGI hands it
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/findings/").status_code == 401


@pytest.mark.django_db
def test_scope_is_each_persons_accounts(alice, bob, charlie, account_a, account_b) -> None:
    assert account_scope_for_user(user=alice) is None  # every account
    assert account_scope_for_user(user=bob) == [account_a.pk]
    assert account_scope_for_user(user=charlie) == []
    person_set_access(
        actor=None, user=bob, role=None, all_accounts=False, accounts=[account_b, account_a]
    )
    assert account_scope_for_user(user=bob) == sorted([account_a.pk, account_b.pk])


@pytest.mark.django_db
def test_two_people_scoped_apart_see_their_own_findings(bob, store, account_a, account_b) -> None:
    dana = UserFactory(username="dana")
    person_set_access(actor=None, user=dana, role=None, all_accounts=False, accounts=[account_b])
    mine, theirs = store(account_a), store(account_b)
    session = APIClient()
    session.force_login(dana)
    for client, expected in ((bearer_client(bob), mine), (session, theirs)):
        ids = {row["id"] for row in client.get("/api/v1/findings/").json()["results"]}
        assert ids == {expected.pk}


@pytest.mark.django_db
def test_plain_values_rows_equal_djangos(store, account_a) -> None:
    f = store(account_a, source="inspector", type="PACKAGE_VULNERABILITY", title=HOSTILE)
    FindingVulnerability.objects.create(
        finding=f,
        cve_id="CVE-2021-44228",
        packages=[{"name": HOSTILE, "version": "1", "n": 2**70}],
        resource_tags={"team": HOSTILE, "nested": {"a": [1, 2.5, None, True]}},
    )
    store(account_a, title="plain")
    columns = encoder_for(FindingSerializer).columns
    # The list's own queryset: its SLA columns are annotations (findings.governance.sla).
    django_rows = list(with_sla(Finding.objects.order_by("id")).values(*columns))
    fast = plain_values(with_sla(Finding.objects.order_by("id")).values(*columns))
    assert fast._iterable_class is PlainValuesIterable
    rows = list(fast)
    assert [dict(row) for row in rows] == django_rows
    # Tuples of the values in Django's column order, read by name as its dicts are.
    assert [tuple(row) for row in rows] == [tuple(row.values()) for row in django_rows]
    assert rows[1]["title"] == "plain" and rows[1].get("nope", 7) == 7
    (row,) = fast.filter(pk=f.pk)
    assert row["vulnerability__packages"][0]["n"] == 2**70


@pytest.mark.django_db
def test_times_keep_every_microsecond_and_z_also_in_the_browsable_json(alice, store, account_a):
    moment = datetime(2024, 5, 14, 9, 30, 15, 123456, tzinfo=UTC)
    store(account_a, first_seen=moment)
    client = bearer_client(alice)
    compact = client.get("/api/v1/findings/").json()["results"][0]
    indented = client.get("/api/v1/findings/", HTTP_ACCEPT="application/json; indent=4")
    assert indented.content.startswith(b"{\n")
    assert json.loads(indented.content)["results"][0] == compact
    assert compact["first_seen"] == "2024-05-14T09:30:15.123456Z"


@pytest.mark.django_db
def test_the_findings_page_rows_escape_and_cut_as_the_template_did(bob, store, account_a):
    long_id = HOSTILE + "x" * 80
    store(account_a, title="", type=HOSTILE, resource_id=long_id)
    client = Client()
    client.force_login(bob)
    html = client.get("/findings/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    (row,) = finding_rows(Finding.objects.select_related("account"))
    assert row.title == HOSTILE  # no title: the type, as `|default:f.type` showed
    assert len(row.resource_id) == 60 and row.resource_id.endswith("…")
    assert row.url == f"/findings/{row.pk}/"


@pytest.mark.django_db(transaction=True)
def test_a_count_past_its_budget_is_postgresqls_estimate(postgres, store, account_a) -> None:
    for _ in range(3):
        store(account_a)
    findings = Finding.objects.all()
    slow = findings.filter(RawSQL("(SELECT true FROM pg_sleep(0.2))", [], BooleanField()))
    with CaptureQueriesContext(connection) as queries:
        assert count_capped(findings, budget_ms=5000) == (3, True)
    assert len(queries) == 1  # the budget travels with the count: no statement added
    count, exact = count_capped(slow, budget_ms=20)
    assert exact is False and 0 <= count <= 1000
    with connection.cursor() as cursor:  # the session's own timeout is untouched
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
    assert count_capped(slow, budget_ms=0) == (3, True)  # no budget: exact, however slow
    assert count_capped(findings, 2, budget_ms=5000) == (2, False)  # capped as before
