"""The findings pages: the list (the API's filters, keyset pages, CSV, bulk status), one finding
(layout, workflow, history), the overview (its numbers are the list's)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.test import Client

from accounts.choices import Role
from accounts.services import person_set_access
from findings import views
from findings.models import Finding, FindingDailyCount, FindingEvent
from findings.services.workflow import finding_workflow_update
from tests.conftest import bearer_client
from tests.factories import UserFactory

LIST = "/findings/"
CSV_URL = "/findings/export.csv"
BULK = "/findings/bulk/"
OVERVIEW = "/overview/"
HOSTILE_TITLE = '<script>window.__pwned=1</script>"><img src=x onerror=alert(1)>'


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(db, account_a):
    user = UserFactory(username="mallory")
    person_set_access(
        actor=None, user=user, role=Role.MANAGER, all_accounts=False, accounts=[account_a]
    )
    return user


@pytest.fixture
def findings(store, account_a, account_b):
    """A spread over both accounts: every band, states, statuses, regions, types, categories."""
    day = datetime(2024, 5, 14, tzinfo=UTC)
    a = [
        store(account_a, severity_score=9.6, type="AttackSequence:IAM/CompromisedCredentials"),
        store(account_a, severity_score=8.0, type="Backdoor:EC2/C&CActivity.B", service_count=7),
        store(account_a, severity_score=8.2, type="Backdoor:EC2/C&CActivity.B!DNS"),
        store(account_a, severity_score=5.0, aws_state="archived", last_seen=None),
        store(account_a, severity_score=2.0, remote_ip="203.0.113.45", region="eu-west-1"),
        store(account_a, severity_score=None, native_severity="", last_seen=day),
        store(account_a, severity_score=7.0, title=HOSTILE_TITLE, first_seen=day - timedelta(9)),
    ]
    b = [
        store(account_b, severity_score=7.5, title='=HYPERLINK("http://x","y")'),
        store(account_b, severity_score=4.0, last_seen=day + timedelta(days=3)),
        store(account_b, severity_score=9.1, service_count=3),
    ]
    finding_workflow_update(finding=a[1], actor=_admin(), status="acknowledged")
    finding_workflow_update(finding=b[1], actor=_admin(), status="false_positive")
    Finding.objects.filter(pk=a[0].pk).update(category="Credentials loss")
    return a, b


def _admin():
    user = UserFactory(username="root-admin", is_superuser=True)
    return user


def page_ids(response) -> list[int]:
    return [f.pk for f in response.context["page"].rows]


def api_ids(client, query: str) -> list[int]:
    data = client.get(f"/api/v1/findings/?{query}&page_size=500").json()
    return [row["id"] for row in data["results"]]


# --- who sees what ---------------------------------------------------------------------------


def test_pages_need_a_login(findings):
    for url in (LIST, CSV_URL, OVERVIEW, f"{LIST}{findings[0][0].pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/auth/login/" in response["Location"]


def test_charlie_sees_nothing_anywhere(charlie, findings):
    client = client_for(charlie)
    response = client.get(LIST)
    assert response.status_code == 200 and page_ids(response) == []
    assert b"No finding matches" in response.content
    assert client.get(f"{LIST}{findings[0][0].pk}/").status_code == 404
    assert len(read_csv(client.get(CSV_URL))) == 0  # the header only
    overview = client.get(OVERVIEW)
    assert overview.context["data"].total == 0 and overview.context["data"].heatmap == []


def test_bob_sees_only_account_a(bob, findings):
    a, b = findings
    client = client_for(bob)
    assert set(page_ids(client.get(LIST))) == {f.pk for f in a}
    assert page_ids(client.get(LIST, {"account": "333333333333"})) == []
    assert client.get(f"{LIST}{b[0].pk}/").status_code == 404
    assert client.get(f"{LIST}{a[0].pk}/").status_code == 200


# --- the list: the API's filters -------------------------------------------------------------

QUERIES = [
    "",
    "source=guardduty",
    "account=222222222222",
    "account=222222222222&account=333333333333",
    "region=eu-west-1",
    "severity=critical",
    "severity=critical,high",
    "severity=critical&severity=low",
    "status=acknowledged,false_positive",
    "aws_state=archived",
    "category=Credentials loss",
    "category=uncategorised",
    "type=Backdoor:EC2/",
    "q=203.0.113",
    "q=script",
    "open=true",
    "open=false",
    "updated_since=2000-01-01",
    "first_seen_after=2024-05-10",
    "first_seen_before=2024-05-10",
    "last_seen_after=2024-05-15",
    "last_seen_before=2024-05-14T10:00:00Z",
    "severity=high&account=222222222222&open=true",
]


@pytest.mark.parametrize("query", QUERIES)
def test_every_filter_lists_what_the_api_lists(alice, findings, query):
    page = client_for(alice).get(f"{LIST}?{query}&ordering=id")
    assert page.status_code == 200
    expected = api_ids(bearer_client(alice), f"{query}&ordering=id")
    if "updated_since" in query:  # the API's change feed has an order of its own
        expected.sort()
    assert page_ids(page) == expected


@pytest.mark.parametrize(
    "ordering", ["-severity", "severity", "-last_seen", "last_seen", "account", "-service_count"]
)
def test_sorting_is_the_apis(alice, findings, ordering):
    page = client_for(alice).get(LIST, {"ordering": ordering})
    assert page_ids(page) == api_ids(bearer_client(alice), f"ordering={ordering}")


def test_default_order_is_worst_first(alice, findings):
    rows = client_for(alice).get(LIST).context["page"].rows
    ranks = [f.severity_rank for f in rows]
    assert ranks == sorted(ranks, reverse=True)


def test_a_bad_filter_is_a_400_naming_the_parameter(alice, findings):
    response = client_for(alice).get(LIST, {"severity": "urgent", "account": "12"})
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"severity", "account"}
    assert b"severity" in response.content and b"urgent" in response.content


def test_the_url_carries_the_filters_to_sorting_paging_the_api_and_csv(alice, findings):
    response = client_for(alice).get(LIST, {"severity": "high,critical", "q": "", "open": "true"})
    context = response.context
    api = parse_qs(urlparse(context["api_url"]).query)
    assert urlparse(context["api_url"]).path == "/api/v1/findings/"
    assert api == {"severity": ["high,critical"], "open": ["true"], "ordering": ["-severity"]}
    assert parse_qs(urlparse(context["csv_url"]).query) == api
    sort = parse_qs(urlparse(context["sort"]["last_seen"]["url"]).query)
    assert sort == {**api, "ordering": ["-last_seen"]}
    assert parse_qs(urlparse(context["sort"]["severity"]["url"]).query)["ordering"] == ["severity"]
    html = response.content.decode()
    assert 'id="api-twin" href="/api/v1/findings/?severity=high%2Ccritical&amp;open=true' in html


# --- keyset pages ----------------------------------------------------------------------------


def walk(client, query: dict, *, backwards_from_end: bool = False) -> tuple[list[int], list[int]]:
    """Follow Next to the end, then Previous back to the start; the ids met each way."""
    forward: list[int] = []
    response = client.get(LIST, query)
    pages = [response]
    while True:
        forward += page_ids(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        response = client.get(LIST, {**query, "cursor": cursor})
        pages.append(response)
    backward: list[int] = []
    while True:
        backward = page_ids(response) + backward
        cursor = response.context["page"].previous_cursor
        if not cursor:
            break
        response = client.get(LIST, {**query, "cursor": cursor})
    assert response.context["page"].is_first
    return forward, backward


@pytest.mark.parametrize(
    "ordering",
    ["-severity", "severity", "-last_seen", "last_seen", "account", "-account", "-service_count"],
)
def test_keyset_pages_cover_the_list_once_in_order_both_ways(
    alice, findings, monkeypatch, ordering
):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client = client_for(alice)
    expected = api_ids(bearer_client(alice), f"ordering={ordering}")
    forward, backward = walk(client, {"ordering": ordering})
    assert forward == expected
    assert backward == expected


def test_a_cursor_that_is_not_ours_is_a_400(alice, findings):
    response = client_for(alice).get(LIST, {"cursor": "bm90IG91cnM"})
    assert response.status_code == 400 and "cursor" in response.context["errors"]


def test_the_count_is_capped(alice, findings, monkeypatch):
    from core import keyset

    assert keyset.count_capped(Finding.objects.all(), cap=4) == (4, False)
    assert keyset.count_capped(Finding.objects.all(), cap=100) == (10, True)
    response = client_for(alice).get(LIST)
    assert response.context["count"] == (10, True)
    assert "<strong>10</strong> findings" in response.content.decode()


def test_list_queries_do_not_grow_with_rows(alice, store, account_a, django_assert_num_queries):
    client = client_for(alice)
    store(account_a)
    client.get(LIST)  # session and permissions warmed like any later request
    with django_assert_num_queries(8) as few:  # the whole list on its page: no count
        client.get(LIST, {"severity": "medium"})
    for _ in range(30):
        store(account_a)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"severity": "medium"})
    assert len(page_ids(response)) == 31
    for _ in range(20):
        store(account_a)
    with django_assert_num_queries(9):  # more than a page: counted
        response = client.get(LIST, {"severity": "medium"})
    assert len(page_ids(response)) == 50 and b"51</strong> findings" in response.content


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("query", ["", "severity=high,critical", "account=333333333333&open=true"])
def test_csv_holds_exactly_the_filtered_set(alice, findings, query):
    response = client_for(alice).get(f"{CSV_URL}?{query}")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    expected = api_ids(bearer_client(alice), f"{query}&ordering=-severity")  # the list's order
    assert [int(r["id"]) for r in rows] == expected


def test_csv_neutralises_formulas(alice, store, account_a):
    for title in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "plain = fine"]:
        store(account_a, title=title)
    rows = read_csv(client_for(alice).get(CSV_URL, {"ordering": "id"}))
    assert [r["title"] for r in rows] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTAB",
        "'\rCR",
        "plain = fine",
    ]
    assert rows[0]["account_id"] == "222222222222"


def test_csv_of_a_bad_filter_is_a_400(alice, findings):
    response = client_for(alice).get(CSV_URL, {"region": "moon"})
    assert response.status_code == 400 and b"region" in response.content


# --- bulk status -----------------------------------------------------------------------------


def bulk(client, ids, status="acknowledged", **extra):
    return client.post(
        BULK, {"ids": ids, "status": status, "next": "/findings/?open=true", **extra}
    )


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_analysts_and_admins_change_the_status_of_many(request, findings, who):
    a, _b = findings
    user = request.getfixturevalue(who)
    ids = [a[0].pk, a[4].pk]
    response = bulk(client_for(user), ids, note="triaged in bulk")
    assert response.status_code == 302 and response["Location"] == "/findings/?open=true"
    assert set(Finding.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "acknowledged"
    }
    events = FindingEvent.objects.filter(finding__in=ids, actor=user)
    assert sorted(e.kind for e in events) == ["note", "note", "status_changed", "status_changed"]


@pytest.mark.parametrize("who", ["manager", "charlie"])
def test_managers_and_viewers_may_not(request, findings, who):
    user = request.getfixturevalue(who)
    a, _b = findings
    assert bulk(client_for(user), [a[0].pk]).status_code == 403
    assert Finding.objects.get(pk=a[0].pk).status == "open"


def test_bulk_ignores_findings_of_accounts_one_cannot_see(bob, findings):
    a, b = findings
    bulk(client_for(bob), [a[0].pk, b[0].pk], status="resolved")
    assert Finding.objects.get(pk=a[0].pk).status == "resolved"
    assert Finding.objects.get(pk=b[0].pk).status == "open"


def test_bulk_needs_post_csrf_and_a_safe_redirect(alice, findings):
    a, _b = findings
    assert client_for(alice).get(BULK).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert bulk(strict, [a[0].pk]).status_code == 403
    response = bulk(client_for(alice), [a[0].pk], next="https://evil.example/")
    assert response["Location"] == "/findings/"
    response = client_for(alice).post(BULK, {"ids": [a[2].pk], "status": "nope"})
    assert response.status_code == 302 and Finding.objects.get(pk=a[2].pk).status == "open"


def test_the_bulk_form_shows_only_to_those_who_may_use_it(alice, manager, findings):
    assert b'id="bulk-form"' in client_for(alice).get(LIST).content
    page = client_for(manager).get(LIST).content
    assert b'id="bulk-form"' not in page and b'name="ids"' not in page


# --- one finding -----------------------------------------------------------------------------


def test_detail_lays_out_the_finding_and_keeps_hostile_text_inert(alice, findings):
    finding = findings[0][6]
    Finding.objects.filter(pk=finding.pk).update(
        domain='"><img src=x onerror=alert(1)>.example',
        raw={
            "Title": HOSTILE_TITLE,
            "Service": {"Action": {"AwsApiCallAction": {"UserAgent": "<b>ua</b>"}}},
        },
    )
    response = client_for(alice).get(f"{LIST}{finding.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "<b>ua" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "&lt;b&gt;ua&lt;/b&gt;" in html  # the user agent, in "who"
    assert '<details id="raw">' in html and "&quot;Title&quot;" in html
    assert finding.console_url.replace("&", "&amp;") in html
    assert 'id="finding-aws-state">Active<' in html and 'id="finding-status">Open<' in html


def test_workflow_form_changes_the_finding_and_the_history_shows_it(bob, findings):
    finding = findings[0][0]
    client = client_for(bob)
    response = client.post(
        f"{LIST}{finding.pk}/workflow/",
        {"status": "acknowledged", "assignee": "bob", "ticket_ref": "SEC-7", "note": "on it"},
    )
    assert response.status_code == 302
    page = client.get(f"{LIST}{finding.pk}/")
    history = page.context["history"]
    assert [e.kind for e in history] == ["note", "ticket_changed", "assigned", "status_changed"]
    assert {e.actor_name for e in history} == {"bob"}
    html = page.content.decode()
    assert "SEC-7" in html and "on it" in html and 'id="finding-status">Acknowledged<' in html


def test_workflow_errors_come_back_on_the_form(bob, findings):
    finding = findings[0][0]
    response = client_for(bob).post(
        f"{LIST}{finding.pk}/workflow/", {"status": "open", "assignee": "alice-not-here"}
    )
    assert response.status_code == 400
    assert "assignee" in response.context["form"].errors


def test_workflow_permissions(manager, charlie, bob, findings):
    a, b = findings
    assert (
        client_for(manager).post(f"{LIST}{a[0].pk}/workflow/", {"status": "resolved"}).status_code
        == 403
    )
    assert (
        client_for(charlie).post(f"{LIST}{a[0].pk}/workflow/", {"status": "resolved"}).status_code
        == 403
    )
    assert (
        client_for(bob).post(f"{LIST}{b[0].pk}/workflow/", {"status": "resolved"}).status_code
        == 404
    )
    page = client_for(manager).get(f"{LIST}{a[0].pk}/")
    # No workflow form (a Manager may still accept a finding's risk: a form of its own).
    workflow = f'action="{LIST}{a[0].pk}/workflow/"'.encode()
    assert page.status_code == 200 and workflow not in page.content
    assert Finding.objects.filter(status="resolved").count() == 0


def test_detail_queries_do_not_grow_with_history(alice, findings, django_assert_num_queries):
    finding = findings[0][0]
    client = client_for(alice)
    client.get(f"{LIST}{finding.pk}/")
    with django_assert_num_queries(8) as few:
        client.get(f"{LIST}{finding.pk}/")
    for n in range(10):
        finding_workflow_update(finding=finding, actor=alice, ticket_ref=f"SEC-{n}", note=f"n{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(f"{LIST}{finding.pk}/")


def test_ids_too_large_for_the_database_are_404(alice):
    assert client_for(alice).get(f"{LIST}99999999999999999999/").status_code == 404


# --- overview --------------------------------------------------------------------------------


def overview_links(data) -> list[tuple[int, str]]:
    numbers = [(data.total, "/findings/?open=true")]
    numbers += [(row["count"], row["url"]) for row in data.by_severity]
    numbers += [(cell["count"], cell["url"]) for cell in data.heatmap]
    numbers += [(row["count"], row["url"]) for row in data.top_types]
    numbers += [(data.sla_breached, data.sla_breached_url), (data.accepted, data.accepted_url)]
    numbers += [(row["count"], row["url"]) for row in data.sla_by_account]
    return numbers


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_every_overview_number_is_what_its_list_shows(request, findings, who):
    client = client_for(request.getfixturevalue(who))
    data = client.get(OVERVIEW).context["data"]
    numbers = overview_links(data)
    assert len(numbers) > 10
    for number, url in numbers:
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["count"] == (number, True), url
    assert data.top_types[1] == {
        "type": "Backdoor:EC2/C&CActivity.B",
        "count": 2,  # with its !DNS variant, as the list's prefix filter counts it
        "url": "/findings/?" + urlencode({"open": "true", "type": "Backdoor:EC2/C&CActivity.B"}),
    }
    newest = client.get(data.newest_url).context["page"].rows
    assert {f.pk for f in data.newest} <= {f.pk for f in newest}


def test_overview_page_links_every_number_and_chart_point(alice, findings):
    response = client_for(alice).get(OVERVIEW)
    html = response.content.decode()
    data = response.context["data"]
    assert re.search(
        r'id="count-critical"><span class="stat-label">Critical</span><span class="stat-value">2<',
        html.replace(' href="/findings/?open=true&amp;severity=critical"', ""),
    )
    for row in data.by_severity:
        assert f'href="{row["url"].replace("&", "&amp;")}"' in html
    heatmap = response.context["fig_heatmap"]["data"][0]
    assert {link for row in heatmap["customdata"] for link in row} == {
        c["url"] for c in data.heatmap
    }
    bars = response.context["fig_types"]["data"][0]
    assert bars["customdata"][-1] == data.top_types[0]["url"]
    trend = response.context["fig_trend"]["data"]
    assert [t["customdata"][0] for t in trend] == [row["url"] for row in data.by_severity]


def test_overview_trend_reads_history_and_today_live(alice, findings, account_a):
    from django.utils import timezone

    today = timezone.localdate()
    FindingDailyCount.objects.create(
        day=today - timedelta(days=2),
        account=account_a,
        source="guardduty",
        severity="critical",
        count=5,
    )
    FindingDailyCount.objects.create(
        day=today, account=account_a, source="guardduty", severity="critical", count=99
    )
    data = client_for(alice).get(OVERVIEW).context["data"]
    critical = {row["day"]: row["count"] for row in data.trend if row["severity"] == "critical"}
    assert critical == {today - timedelta(days=2): 5, today - timedelta(days=1): None, today: 2}


def test_overview_hover_labels_and_ticks_are_escaped(alice, store, account_a):
    account_a.name = "<img src=x onerror=alert(1)>"
    account_a.save()
    store(account_a, type="Recon:EC2/<script>alert(1)</script>", severity_score=8.0)
    response = client_for(alice).get(OVERVIEW)
    figures = json.dumps([response.context[k] for k in ("fig_trend", "fig_heatmap", "fig_types")])
    assert "<img" not in figures and "<script>" not in figures
    assert "&lt;img src=x onerror=alert(1)&gt;" in figures
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figures
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_overview_queries_are_pinned(alice, findings, django_assert_num_queries):
    client = client_for(alice)
    client.get(OVERVIEW)
    with django_assert_num_queries(17):  # + SLA days, breaches by account, accepted
        client.get(OVERVIEW)
