"""findings/, findings/{id}/ and summary/: scoped to the caller's accounts, filtered by one FilterSet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from rest_framework.test import APIClient

from findings.choices import FindingStatus
from findings.models import Finding
from tests.conftest import bearer_client
from tests.factories import PROD_ID, ou_tree

LIST = "/api/v1/findings/"
SUMMARY = "/api/v1/summary/"

CONTRACT_FIELDS = {
    "id",
    "source",
    "source_id",
    "account_id",
    "region",
    "type",
    "title",
    "description",
    "severity",
    "severity_score",
    "native_severity",
    "category",
    "status",
    "aws_state",
    "assignee",
    "ticket_ref",
    "first_seen",
    "last_seen",
    "updated_at",
    "resource_type",
    "resource_id",
    "console_url",
}


@pytest.fixture
def findings(store, account_a, account_b):
    """Four findings in account_a (one of each band but informational), two in account_b."""
    a = [
        store(account_a, severity_score=9.6, type="AttackSequence:IAM/CompromisedCredentials"),
        store(account_a, severity_score=8.0, type="UnauthorizedAccess:EC2/SSHBruteForce"),
        store(account_a, severity_score=5.0, aws_state="archived"),
        store(account_a, severity_score=2.0, remote_ip="203.0.113.45", region="eu-west-1"),
    ]
    b = [
        store(account_b, severity_score=7.5, title="<img src=x onerror=alert(1)>"),
        store(account_b, severity_score=4.0),
    ]
    return a, b


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- who sees what ---------------------------------------------------------------------------


def test_no_token_is_401_and_never_a_redirect(findings):
    for url in (LIST, f"{LIST}{findings[0][0].pk}/", SUMMARY):
        assert APIClient().get(url).status_code == 401


def test_alice_sees_every_account(alice, findings):
    response = bearer_client(alice).get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] == 6


def test_bob_sees_only_account_a(bob, findings):
    a, b = findings
    client = bearer_client(bob)
    assert ids(client.get(LIST)) == {f.pk for f in a}
    assert {row["account_id"] for row in client.get(LIST).json()["results"]} == {"222222222222"}
    assert client.get(f"{LIST}{b[0].pk}/").status_code == 404
    assert client.get(f"{LIST}{a[0].pk}/").status_code == 200
    assert client.get(LIST, {"account": "333333333333"}).json()["count"] == 0
    assert set(client.get(SUMMARY).json()["account_id"]) == {"222222222222"}


def test_charlie_sees_nothing_anywhere(charlie, findings):
    client = bearer_client(charlie)
    response = client.get(LIST)
    assert response.status_code == 200 and response.json()["count"] == 0
    assert client.get(f"{LIST}{findings[0][0].pk}/").status_code == 404
    summary = client.get(SUMMARY).json()
    assert summary["open"] == 0 and summary["account_id"] == {}
    assert client.get(LIST, {"updated_since": "2000-01-01"}).json()["results"] == []


# --- fields ----------------------------------------------------------------------------------


def test_list_rows_carry_every_contract_field(alice, findings):
    row = bearer_client(alice).get(LIST).json()["results"][0]
    assert set(row) >= CONTRACT_FIELDS


def test_detail_carries_the_payload_and_history(alice, findings):
    finding = findings[0][0]
    data = bearer_client(alice).get(f"{LIST}{finding.pk}/").json()
    assert set(data) >= CONTRACT_FIELDS
    assert data["raw"] == finding.raw
    assert [e["kind"] for e in data["events"]] == ["created"]
    assert data["events"][0]["actor"] is None
    assert data["severity"] == "critical" and data["severity_score"] == 9.6
    assert data["account_id"] == "222222222222"
    assert data["console_url"] == (
        "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1"
        f"#/findings?macros=current&fId={finding.source_id}"
    )
    assert data["updated_at"].endswith("Z") or data["updated_at"].endswith("+00:00")


def test_aws_strings_come_back_verbatim(alice, findings):
    response = bearer_client(alice).get(LIST, {"account": "333333333333", "severity": "high"})
    assert response.json()["results"][0]["title"] == "<img src=x onerror=alert(1)>"


def test_a_non_numeric_id_is_404(alice, findings):
    assert bearer_client(alice).get(f"{LIST}abc/").status_code == 404
    assert bearer_client(alice).get(f"{LIST}99999999999999999/").status_code == 404


def test_findings_take_only_patch_of_the_workflow(alice, findings):
    # PATCH is tests/findings/test_api_write.py's; nothing else writes findings through the API.
    client = bearer_client(alice, can_write=True)
    url = f"{LIST}{findings[0][0].pk}/"
    assert client.put(url, {"status": "resolved"}).status_code == 405
    assert client.delete(url).status_code == 405
    assert client.post(LIST, {"status": "resolved"}).status_code == 405


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"severity": "critical"}, 1),
        ({"severity": "critical,high"}, 3),
        ({"severity": ["critical", "high"]}, 3),
        ({"severity": ["critical,high", "low"]}, 4),
        ({"source": "guardduty"}, 6),
        ({"source": "macie"}, 0),
        ({"account": "222222222222"}, 4),
        ({"account": "222222222222,333333333333"}, 6),
        ({"region": "eu-west-1"}, 1),
        ({"aws_state": "archived"}, 1),
        ({"aws_state": "active", "status": "open,acknowledged"}, 5),
        ({"status": "resolved"}, 0),
        ({"type": "AttackSequence:"}, 1),
        ({"type": "UnauthorizedAccess:EC2/SSH"}, 1),
        ({"q": "203.0.113.45"}, 1),
        ({"q": "onerror"}, 1),
        ({"q": "i-0abc123def"}, 6),
        ({"category": "uncategorised"}, 0),
        ({"category": "Identity enumeration"}, 4),
        ({"category": "Credentials loss,Suspicious access"}, 2),
        ({"category": "Ransomware"}, 0),
        ({"open": "true"}, 5),
        ({"open": "false"}, 1),
        ({"first_seen_after": "2024-05-14T08:00:00Z"}, 6),
        ({"first_seen_before": "2024-05-14T08:00:00Z"}, 0),
        ({"last_seen_after": "2024-05-14"}, 6),
        ({"last_seen_before": "2024-05-14T10:00:00+00:00"}, 6),
        ({"last_seen_before": "2024-05-14T11:00:00 01:00"}, 6),  # '+' unencoded in a URL
        ({"last_seen_before": "2024-05-14T10:59:59+01:00"}, 0),
    ],
)
def test_every_filter(alice, findings, params, expected):
    response = bearer_client(alice).get(LIST, params)
    assert response.status_code == 200, response.json()
    assert response.json()["count"] == expected


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("severity", "severe"),
        ("severity", "high,bogus"),
        ("source", "cloudtrail"),
        ("status", "closed"),
        ("aws_state", "deleted"),
        ("account", "12345"),
        ("account", "222222222222,abc"),
        ("region", "mars-1"),
        ("updated_since", "yesterday"),
        ("updated_since", "2024-13-45T00:00:00Z"),
        ("updated_since", "9999-12-31T23:59:59-14:00"),
        ("first_seen_after", "not a date"),
        ("last_seen_before", "2024-05-14T25:00:00Z"),
        ("ordering", "password"),
        ("q", "nul\x00byte"),
        ("type", "nul\x00"),
        ("cursor", "garbage!"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(alice, findings, param, value):
    params = {param: value}
    if param == "cursor":
        params["updated_since"] = "2000-01-01T00:00:00Z"
    for url in (LIST, SUMMARY) if param != "cursor" else (LIST,):
        response = bearer_client(alice).get(url, params)
        assert response.status_code == 400, (url, response.content)
        assert param in response.json()


def test_ordering_by_severity_puts_the_worst_first(alice, findings):
    rows = bearer_client(alice).get(LIST, {"ordering": "-severity"}).json()["results"]
    scores = [r["severity_score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    rows = bearer_client(alice).get(LIST, {"ordering": "last_seen,-id"}).json()["results"]
    assert len(rows) == 6


def test_page_size_is_clamped(alice, findings):
    response = bearer_client(alice).get(LIST, {"page_size": 100000})
    assert response.status_code == 200 and len(response.json()["results"]) == 6


# --- summary -------------------------------------------------------------------------------------


def test_summary_counts_open_findings_only(alice, findings):
    a, b = findings
    Finding.objects.filter(pk=a[1].pk).update(status=FindingStatus.RESOLVED)
    Finding.objects.filter(pk=b[1].pk).update(status=FindingStatus.ACKNOWLEDGED)
    data = bearer_client(alice).get(SUMMARY).json()
    # a[2] is archived, a[1] resolved: 4 open; acknowledged counts as open.
    assert data["open"] == 4
    assert data["severity"] == {
        "critical": 1,
        "high": 1,
        "medium": 1,
        "low": 1,
        "informational": 0,
    }
    assert data["source"] == {"guardduty": 4, "macie": 0, "inspector": 0}
    assert data["account_id"] == {"222222222222": 2, "333333333333": 2}
    # Recon:EC2/PortProbeUnprotectedPort (the default type) is Identity enumeration.
    assert data["category"] == {"Credentials loss": 1, "Identity enumeration": 3}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"account": "222222222222"},
        {"severity": "high,low"},
        {"region": "eu-west-1"},
        {"q": "x"},
    ],
)
def test_summary_equals_what_the_list_shows_for_the_same_filter(alice, bob, findings, params):
    for user in (alice, bob):
        client = bearer_client(user)
        summary = client.get(SUMMARY, params).json()
        listed = client.get(LIST, {**params, "open": "true", "page_size": 500}).json()
        assert summary["open"] == listed["count"]
        by_severity = {}
        for row in listed["results"]:
            by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + 1
        assert {k: v for k, v in summary["severity"].items() if v} == by_severity


# --- query counts --------------------------------------------------------------------------------


def test_the_list_query_count_does_not_grow_with_rows(
    alice, store, account_a, django_assert_num_queries
):
    client = bearer_client(alice)
    store(account_a)
    client.get(LIST)  # warm-up: the token's first use is recorded
    # token lookup, access profile, count, page (account and assignee joined): never one per row;
    # no count when the first page holds the whole list
    with django_assert_num_queries(3):
        assert client.get(LIST).status_code == 200
    for _ in range(30):
        store(account_a)
    with django_assert_num_queries(3):
        assert len(client.get(LIST).json()["results"]) == 31
    with django_assert_num_queries(4):
        assert len(client.get(LIST, {"page_size": 20}).json()["results"]) == 20


def test_the_summary_is_one_query_for_the_counts(alice, findings, django_assert_num_queries):
    client = bearer_client(alice)
    client.get(SUMMARY)
    with django_assert_num_queries(3):  # token, access profile, the grouped counts
        assert client.get(SUMMARY).status_code == 200


# --- the change feed -----------------------------------------------------------------------------


def test_the_change_feed_pages_by_updated_at_and_id_and_resumes(alice, store, account_a):
    stored = [store(account_a) for _ in range(7)]
    client = bearer_client(alice)
    since = (min(f.updated_at for f in stored) - timedelta(seconds=1)).isoformat()
    seen, url, pages = [], LIST, 0
    params = {"updated_since": since, "page_size": 3}
    while url:
        data = client.get(url, params).json()
        params = None
        pages += 1
        seen += [(r["updated_at"], r["id"]) for r in data["results"]]
        assert data["resume"]
        last_resume = data["resume"]
        url = data["next"]
    assert pages == 3
    assert [i for _u, i in seen] == [
        f.pk for f in sorted(stored, key=lambda f: (f.updated_at, f.pk))
    ]
    assert client.get(last_resume).json()["results"] == []
    changed = store(account_a)  # a later change appears after the resume point, only it
    assert [r["id"] for r in client.get(last_resume).json()["results"]] == [changed.pk]


def test_resume_keeps_the_filters(alice, store, account_a, account_b):
    store(account_a)
    store(account_b)
    client = bearer_client(alice)
    data = client.get(
        LIST, {"updated_since": "2000-01-01T00:00:00Z", "account": "222222222222"}
    ).json()
    assert len(data["results"]) == 1 and data["next"] is None
    query = parse_qs(urlparse(data["resume"]).query)
    assert query["account"] == ["222222222222"] and "cursor" in query
    store(account_b)
    assert client.get(data["resume"]).json()["results"] == []


def test_an_empty_feed_page_resumes_from_where_it_started(alice, findings):
    client = bearer_client(alice)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    data = client.get(LIST, {"updated_since": future}).json()
    assert data["results"] == [] and data["next"] is None
    assert client.get(data["resume"]).status_code == 200


def test_filters_that_read_the_database_read_it_once(alice, store, account_a):
    """The list's rows and its count are filtered by one FilterSet: an OU's accounts and the
    SLAs are read once for both, and the rows and the count agree."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = bearer_client(alice)
    for _ in range(3):
        store(account_a)
    ou_tree(prod=[account_a], data=[])
    client.get(LIST)

    def read(params, first):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(LIST, {**params, "page_size": 1}).json()
        assert body["count"] >= len(body["results"])
        return body, sum(q["sql"].startswith(first) for q in ctx.captured_queries)

    late, reads = read({"sla_breached": "true"}, 'SELECT "findings_slapolicy"')
    assert reads == 1
    in_time, reads = read({"sla_breached": "false"}, 'SELECT "findings_slapolicy"')
    assert reads == 1
    assert late["count"] + in_time["count"] == 3
    body, reads = read({"ou": PROD_ID}, 'SELECT "accounts_awsaccount"."id"')
    assert reads == 1
    assert body["count"] == 3
