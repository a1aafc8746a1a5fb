"""The manager's report (reports/ API, /reports/ page, its CSV tables): every number equals the
list it links to, scoped to the person's accounts, hostile parameters refused."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import bearer_client
from tests.factories import DATA_ID, PROD_ID, ROOT_ID, WORKLOADS_ID
from tests.reports.conftest import HOSTILE_TITLE

REPORT = "/api/v1/reports/"


def count_of(client, link: str) -> int:
    body = client.get(link).json()
    return body["count"]


def expected_value(report: dict, name: str) -> int | None:
    """The report's number that `links[name]` lists (None: a list without a number of its own)."""
    if name == "open":
        return sum(report["open_by_severity"].values())
    if name.startswith("open_"):
        return report["open_by_severity"][name.removeprefix("open_")]
    if name.startswith("anomalies_"):
        return report["anomalies_by_feedback"][name.removeprefix("anomalies_")]
    if name == "budgets":
        return len(report["budgets"])
    if name in ("new", "resolved", "anomalies", "sla_breached", "accepted_expiring"):
        return report[name]
    return None


@pytest.mark.parametrize(
    "params",
    [{}, {"ou": WORKLOADS_ID}, {"ou": ROOT_ID, "period": "month"}, {"account": "333333333333"}],
)
def test_every_count_equals_the_list_it_links_to(alice, org, params):
    client = bearer_client(alice)
    report = client.get(REPORT, params).json()
    checked = 0
    for name, link in report["links"].items():
        expected = expected_value(report, name)
        if expected is not None:
            assert count_of(client, link) == expected, (name, link)
            checked += 1
    assert checked >= 10
    top = client.get(report["links"]["top_risks"]).json()["results"]
    assert [f["id"] for f in report["top_risks"]] == [f["id"] for f in top][
        : len(report["top_risks"])
    ]


def test_the_numbers_of_an_ou_take_in_its_sub_ous(alice, org):
    client = bearer_client(alice)
    workloads = client.get(REPORT, {"ou": WORKLOADS_ID}).json()
    assert workloads["open_by_severity"] == {
        "critical": 1, "high": 1, "medium": 0, "low": 0, "informational": 0,
    }  # fmt: skip
    assert workloads["new"] == 2 and workloads["resolved"] == 1
    assert workloads["sla_breached"] == 1  # the high one first seen 40 days ago (SLA 30)
    assert workloads["accepted_expiring"] == 1  # account_b's expires in 90 days: not counted
    assert workloads["mttr_days"]["high"] == pytest.approx(3.0, abs=0.05)
    assert workloads["spend"] == "140.00" and workloads["spend_previous"] == "70.00"
    assert workloads["anomalies"] == 2 and workloads["anomalies_by_feedback"] == {
        "none": 1,
        "YES": 1,
    }
    assert [b["account_id"] for b in workloads["budgets"]] == ["222222222222"]
    assert (
        client.get(REPORT, {"ou": PROD_ID}).json()["open_by_severity"]
        == workloads["open_by_severity"]
    )
    every = client.get(REPORT, {"ou": ROOT_ID}).json()
    assert every["new"] == 3 and every["resolved"] == 2 and every["spend"] == "154.00"
    month = client.get(REPORT, {"ou": WORKLOADS_ID, "period": "month"}).json()
    assert month["new"] == 3 and month["anomalies"] == 3


def test_a_person_sees_only_their_accounts(bob, charlie, org):
    bobs = bearer_client(bob).get(REPORT, {"ou": ROOT_ID}).json()
    assert bobs["new"] == 2 and bobs["resolved"] == 1 and bobs["spend"] == "140.00"
    assert {f["account_id"] for f in bobs["top_risks"]} == {"222222222222"}
    assert bearer_client(bob).get(REPORT, {"ou": DATA_ID}).status_code == 400  # not bob's OU
    assert bearer_client(bob).get(REPORT, {"account": "333333333333"}).status_code == 400
    nothing = bearer_client(charlie).get(REPORT).json()
    assert sum(nothing["open_by_severity"].values()) == 0
    assert nothing["new"] == 0 and nothing["spend"] == "0.00" and nothing["budgets"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"period": "year"},
        {"period": "week\x00"},
        {"account": "' OR 1=1 --"},
        {"ou": "ou-\x00"},
        {"ou": "ou-ab12-nosuchou"},
        {"account": "222222222222", "ou": PROD_ID},
        {"account": "9" * 400},
    ],
)
def test_a_hostile_parameter_is_a_400(alice, org, client, params):
    response = bearer_client(alice).get(REPORT, params)
    assert response.status_code == 400, response.content
    client.force_login(alice)
    assert client.get("/reports/", params).status_code == 400
    assert client.get("/reports/export.csv", params).status_code == 400


def test_the_report_reads_in_a_fixed_number_of_queries(alice, org, store, account_a):
    client = bearer_client(alice)
    client.get(REPORT)
    with CaptureQueriesContext(connection) as before:
        client.get(REPORT, {"ou": ROOT_ID})
    for _ in range(20):
        store(account_a, severity_score=8.5)
    with CaptureQueriesContext(connection) as after:
        client.get(REPORT, {"ou": ROOT_ID})
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_page_links_every_number_to_its_list(client, alice, org):
    client.force_login(alice)
    page = client.get("/reports/", {"ou": WORKLOADS_ID, "period": "month"})
    assert page.status_code == 200
    html = page.content.decode()
    report = page.context["report"]
    assert f'href="{report.links["new"].replace("&", "&amp;")}"' in html
    assert HOSTILE_TITLE not in html and "&lt;script&gt;" in html
    shown = {
        "new": report.new,
        "resolved": report.resolved,
        "open_critical": report.open_by_severity["critical"],
        "open": report.open_total,
    }
    for name, number in shown.items():
        assert client.get(report.links[name]).context["count"][0] == number, name
    assert "fig-trend" in html and "data-print" in html


def test_the_csv_tables_are_scoped_and_formula_safe(client, alice, bob, org):
    client.force_login(bob)
    response = client.get("/reports/export.csv", {"table": "top_risks", "ou": ROOT_ID})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "id" and {r[4] for r in rows[1:]} == {"222222222222"}
    assert any(r[2] == "'" + HOSTILE_TITLE for r in rows[1:])
    summary = client.get("/reports/export.csv", {"table": "summary"})
    lines = list(csv.reader(io.StringIO(b"".join(summary.streaming_content).decode())))
    assert lines[lines.index(next(r for r in lines if r[0] == "New in the period"))][:2] == [
        "New in the period",
        "2",
    ]
    assert client.get("/reports/export.csv", {"table": "../etc"}).status_code == 400
    client.force_login(alice)
    budgets = client.get("/reports/export.csv", {"table": "budgets", "ou": DATA_ID})
    assert b"333333333333" in b"".join(budgets.streaming_content)


def test_the_print_stylesheet_sets_an_a4_page_for_the_report():
    from pathlib import Path

    css = Path("static/css/app.css").read_text()
    assert "@page report { size: A4 portrait" in css and ".report { page: report; }" in css


def test_time_to_resolve_is_the_governance_rules_mean(alice, org):
    from findings.governance.sla import mttr_days
    from findings.selectors import finding_list_for_user
    from reports.selectors import report_for_user

    for scope in ({}, {"ou": WORKLOADS_ID}):
        report = report_for_user(user=alice, period="month", **scope)
        expected = mttr_days(
            finding_list_for_user(user=alice, filters=scope),
            resolved_after=report.period_start,
            resolved_before=report.period_end,
        )
        assert report.mttr_days == {band: expected[band] for band in report.mttr_days}
        assert any(days is not None for days in report.mttr_days.values())
