"""Keyset cursors behind `next` for every list and ordering, capped counts, the page limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api.pagination import KeysetPagination
from findings.filtersets import FindingFilterSet
from findings.models import Finding
from tests.conftest import bearer_client

LIST = "/api/v1/findings/"
ORDERINGS = list(FindingFilterSet.base_filters["ordering"].param_map)


@pytest.fixture
def many(store, account_a, account_b):
    """23 findings with ties and NULLs in every sortable column."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for i in range(23):
        store(
            account_a if i % 3 else account_b,
            severity_score=None if i % 5 == 0 else float(i % 10),
            service_count=1 + i % 4,
            region=("us-east-1", "eu-west-1")[i % 2],
            type=("Recon:EC2/PortProbeUnprotectedPort", "Backdoor:EC2/C&CActivity.B")[i % 2],
            first_seen=start + timedelta(hours=i % 7),
            last_seen=None if i % 4 == 0 else start + timedelta(days=i % 6),
        )


def walk(client, url: str) -> list[int]:
    ids: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


def test_cursor_pages_list_every_finding_once_in_every_ordering(alice, many):
    client = bearer_client(alice)
    for name in ORDERINGS:
        for ordering in (name, f"-{name}"):
            everything = client.get(LIST, {"ordering": ordering, "page_size": 500}).json()
            expected = [row["id"] for row in everything["results"]]
            assert len(expected) == 23
            assert walk(client, f"{LIST}?ordering={ordering}&page_size=4") == expected, ordering


def test_previous_goes_back_to_the_same_page(alice, many):
    client = bearer_client(alice)
    first = client.get(LIST, {"ordering": "-last_seen", "page_size": 5}).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert first["previous"] is None


@pytest.mark.parametrize("ordering", ["account", "-account"])
def test_pages_by_account_go_forward_and_back_over_every_row_once(alice, many, ordering):
    """Ordered by account, a page after a position starts at it in its account's (account, id)
    index (`id > CASE WHEN account = ... END`, an index bound), on PostgreSQL by a LATERAL query
    per account; forward and back, every row once."""
    client = bearer_client(alice)
    pages, url = [], f"{LIST}?ordering={ordering}&page_size=4"
    with CaptureQueriesContext(connection) as queries:
        while url:
            body = client.get(url).json()
            pages.append([row["id"] for row in body["results"]])
            url, last = body["next"], body
    statements = [q["sql"] for q in queries]  # read now: a later request clears the log
    assert sum(len(page) for page in pages) == 23 == len({i for page in pages for i in page})
    back, url = [], last["previous"]
    while url:
        body = client.get(url).json()
        back.insert(0, [row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[:-1]
    if connection.vendor == "postgresql":
        assert [sql for sql in statements if "CASE WHEN _p.k = " in sql]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJ4IjoxfQ", "W10", "\x00", "A" * 5000, "WyJuIixbMSwyXSwiMDAwMDAwMDAiXQ"],
)
def test_a_cursor_not_ours_is_a_400_naming_cursor(alice, many, cursor):
    response = bearer_client(alice).get(LIST, {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_cursor_of_another_ordering_is_refused(alice, many):
    client = bearer_client(alice)
    link = client.get(LIST, {"ordering": "-last_seen", "page_size": 2}).json()["next"]
    cursor = parse_qs(urlparse(link).query)["cursor"][0]
    response = client.get(LIST, {"ordering": "service_count", "cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json()


def test_page_numbers_reach_the_first_rows_only(alice, many, monkeypatch):
    client = bearer_client(alice)
    second = client.get(LIST, {"page": 2, "page_size": 10}).json()
    assert [r["id"] for r in second["results"]] == [
        r["id"] for r in client.get(LIST, {"page_size": 500}).json()["results"][10:20]
    ]
    assert walk(client, second["next"])  # a cursor after the numbered page
    monkeypatch.setattr(KeysetPagination, "max_page_depth", 20)
    deep = client.get(LIST, {"page": 3, "page_size": 10})
    assert deep.status_code == 400 and "page" in deep.json()
    for bad in ("0", "-1", "x", "1e9"):
        assert client.get(LIST, {"page": bad}).status_code == 400


def test_count_is_exact_up_to_the_cap_then_capped(alice, many, monkeypatch):
    client = bearer_client(alice)
    body = client.get(LIST).json()
    assert (body["count"], body["count_exact"]) == (23, True)
    monkeypatch.setattr(KeysetPagination, "count_cap", 10)
    body = client.get(LIST, {"page_size": 5}).json()
    assert (body["count"], body["count_exact"]) == (10, False)
    feed = {"updated_since": "2000-01-01", "page_size": 5}  # the change feed too
    body = client.get(LIST, feed).json()
    assert (body["count"], body["count_exact"]) == (10, False)


def test_a_first_page_holding_every_row_is_its_own_count(alice, many):
    """No count statement when the first page holds the whole list (a search that matches a few
    findings in a million: the count would cost as much as the page)."""
    client = bearer_client(alice)
    for params in ({"page_size": 30}, {"page_size": 30, "updated_since": "2000-01-01"}):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(LIST, params).json()
        assert (body["count"], body["count_exact"], body["next"]) == (23, True, None)
        assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    for params in ({"page_size": 10}, {"page_size": 10, "updated_since": "2000-01-01"}):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(LIST, params).json()
        assert (body["count"], body["count_exact"], len(body["results"])) == (23, True, 10)
        assert [q for q in queries if "COUNT(" in q["sql"].upper()]
    last = client.get(client.get(LIST, {"page_size": 20}).json()["next"]).json()
    assert (last["count"], len(last["results"]), last["next"]) == (23, 3, None)


def test_every_list_pages_by_cursor(alice, many, store, account_a):
    from accounts.models import CollectionRun

    for i in range(7):
        CollectionRun.objects.create(
            account=account_a, region="us-east-1", source="guardduty", outcome="ok",
            started_at=datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=i % 3),
        )  # fmt: skip
    client = bearer_client(alice)
    for path in ("collection-runs/", "accounts/", "findings/"):
        everything = client.get(f"/api/v1/{path}", {"page_size": 500}).json()["results"]
        key = "id" if "id" in everything[0] else "account_id"
        ids = []
        url = f"/api/v1/{path}?page_size=2"
        while url:
            body = client.get(url).json()
            ids += [row[key] for row in body["results"]]
            url = body["next"]
        assert ids == [row[key] for row in everything], path


def test_bob_pages_only_through_his_accounts(bob, many):
    ids = walk(bearer_client(bob), f"{LIST}?page_size=3&ordering=account")
    assert set(ids) == set(
        Finding.objects.filter(account__account_id="222222222222").values_list("id", flat=True)
    )


def test_charlie_pages_through_nothing(charlie, many):
    body = bearer_client(charlie).get(LIST).json()
    assert body["results"] == [] and body["count"] == 0 and body["next"] is None


def test_a_cursor_page_filters_by_one_row_comparison(alice, many):
    """Past the first page, the position is `(updated_at, id) < (x, y)` alone, the form an index
    range starts from: not also the OR of the same rows and a bound on the first key."""
    client = bearer_client(alice)
    url = client.get(LIST, {"page_size": 5}).json()["next"]
    feed = client.get(LIST, {"updated_since": "2000-01-01", "page_size": 5}).json()["next"]
    for page, sign in ((url, "<"), (feed, ">")):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        (rows,) = [q["sql"] for q in queries if '"findings_finding"."title"' in q["sql"]]
        where = rows[rows.index(" WHERE ") :]
        assert f'("findings_finding"."updated_at", "findings_finding"."id") {sign} (' in where
        assert " OR " not in where
