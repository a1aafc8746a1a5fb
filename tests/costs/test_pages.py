"""The costs pages: overview, anomalies (list, detail, feedback), budgets; scoped to the person."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from costs.models import AnomalyFeedbackRecord, Budget, CeRequestLog, CostDaily, CostForecast
from costs.severity import RULE
from tests.costs.conftest import PAYER, anomaly

HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def costs_data(db, payer, account_a, account_b, clock):
    """30 days of cost in three accounts, a forecast, an anomaly and a budget."""
    account_b.name = HOSTILE
    account_b.save()
    for back in range(0, 40):
        day = clock.today - timedelta(days=back)
        for account, amount in (
            (PAYER, "1.10"),
            ("222222222222", "100.25"),
            ("333333333333", "10.05"),
        ):
            CostDaily.objects.create(payer=payer, day=day, account_id=account, service="Amazon EC2",
                                     amount=Decimal(amount))  # fmt: skip
    CostForecast.objects.create(payer=payer, month=clock.today.replace(day=1), start=clock.today,
                                end=clock.today + timedelta(days=3), mean=Decimal("999.99"))  # fmt: skip
    CeRequestLog.objects.create(payer=payer, purpose="sync", requests=7, created_at=clock.now)
    spike = anomaly(account_id="222222222222", total_impact="1830.84", service="Amazon EC2",
                    start_date=clock.today - timedelta(days=3), end_date=clock.today - timedelta(days=1))  # fmt: skip
    Budget.objects.create(account=account_a, name="prod <b>budget</b>", budget_type="COST",
                          time_unit="MONTHLY", limit=Decimal(100), actual=Decimal(120),
                          forecast=Decimal(130), percent_used=Decimal(120), status="over",
                          notifications=[{"type": "ACTUAL", "comparison": "GREATER_THAN",
                                          "threshold": "80.0", "threshold_type": "PERCENTAGE",
                                          "state": "ALARM"}], content_hash="x")  # fmt: skip
    return spike


def figure(html: str, figure_id: str) -> str:
    match = re.search(
        rf'<script id="{figure_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, figure_id
    return match.group(1)


def test_overview_shows_spend_forecast_requests_and_data_as_of(client, alice, costs_data, clock):
    client.force_login(alice)
    html = client.get("/costs/").content.decode()
    assert "Cost Explorer this month" in html and "<strong>7</strong> requests" in html
    assert "<strong>$0.07</strong>" in html
    assert "Data as of" in html and "fig-by-account" in html and "fig-month" in html
    assert 'id="forecast"' in html  # alice sees the whole organisation
    assert 'src="/static/vendor/plotly-' in html or "plotly-" in html
    assert HOSTILE not in html  # the hostile account name is escaped everywhere


def test_the_forecast_is_hidden_from_someone_who_sees_part_of_the_organisation(
    client, bob, costs_data
):
    client.force_login(bob)
    html = client.get("/costs/").content.decode()
    assert 'id="forecast"' not in html
    data = json.loads(figure(html, "fig-by-account"))
    assert [trace["name"] for trace in data["data"]] == ["222222222222 Production"]


def test_charlie_sees_no_cost(client, charlie, costs_data):
    client.force_login(charlie)
    html = client.get("/costs/").content.decode()
    assert "$0.00" in html and "222222222222" not in html and "Cost Explorer this month" not in html
    assert "No anomaly matches" in client.get("/costs/anomalies/").content.decode()
    assert "No budget matches" in client.get("/budgets/").content.decode()
    assert client.get(f"/costs/anomalies/{costs_data.pk}/").status_code == 404


def test_anomaly_list_states_the_severity_rule_and_filters(client, alice, costs_data):
    client.force_login(alice)
    html = client.get("/costs/anomalies/", {"min_impact": "1000"}).content.decode()
    assert RULE in html and f"/costs/anomalies/{costs_data.pk}/" in html
    html = client.get("/costs/anomalies/", {"min_impact": "5000"}).content.decode()
    assert "No anomaly matches" in html
    html = client.get("/costs/anomalies/", {"account": "nope"}).content.decode()
    assert "No anomaly matches" in html and "12 digits" in html


def test_list_pages_pin_their_query_count(client, alice, costs_data, django_assert_num_queries):
    client.force_login(alice)
    client.get("/costs/anomalies/")
    with django_assert_num_queries(16):  # + the caller's account scope (root causes, totals)
        client.get("/costs/anomalies/")
    with django_assert_num_queries(14):
        client.get("/budgets/")


def make_finding(
    account, first_seen: datetime, type_: str = "CryptoCurrency:EC2/BitcoinTool.B!DNS"
):
    from findings.models import Finding

    return Finding.objects.create(
        source="guardduty", source_id=f"f-{type_}-{first_seen:%j}", account=account, region="us-east-1",
        type=type_, title=f"{type_} seen", severity="high", severity_rank=3, first_seen=first_seen,
        last_seen=first_seen + timedelta(hours=2), content_hash="x",
    )  # fmt: skip


def test_anomaly_detail_shows_the_accounts_findings_in_its_window(
    client, alice, costs_data, account_a, account_b, clock
):
    inside = datetime.combine(clock.today - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    make_finding(account_a, inside)
    make_finding(account_a, inside - timedelta(days=20), "Recon:EC2/PortProbeUnprotectedPort")
    make_finding(account_b, inside, "Backdoor:EC2/C&CActivity.B!DNS")
    client.force_login(alice)
    html = client.get(f"/costs/anomalies/{costs_data.pk}/").content.decode()
    section = html[html.index('id="related-findings"') :]
    assert "1 finding " in section and "CryptoCurrency:EC2/BitcoinTool.B!DNS" in section
    assert "PortProbe" not in section and "Backdoor" not in section
    assert "/findings/?account=222222222222&amp;last_seen_after=" in section
    assert RULE in html and "fig-anomaly" in html and "Data as of" in html


def test_viewers_see_no_feedback_buttons_and_cannot_post(client, viewer, costs_data):
    client.force_login(viewer)
    html = client.get(f"/costs/anomalies/{costs_data.pk}/").content.decode()
    assert 'value="PLANNED_ACTIVITY"' not in html
    response = client.post(f"/costs/anomalies/{costs_data.pk}/feedback/", {"feedback": "YES"})
    assert response.status_code == 403


@pytest.fixture
def page_feedback_org(cost_org, costs_data):
    cost_org.ce(PAYER).add_anomaly({"AnomalyId": costs_data.anomaly_id, "MonitorArn": "arn:m",
                                    "Impact": {"MaxImpact": 1.0, "TotalImpact": 1.0}})  # fmt: skip
    return costs_data


def test_a_manager_sends_feedback_from_the_page(client, manager, page_feedback_org, cost_org):
    client.force_login(manager)
    url = f"/costs/anomalies/{page_feedback_org.pk}/"
    response = client.post(
        f"{url}feedback/", {"feedback": "NO", "reason": "batch job"}, follow=True
    )
    html = response.content.decode()
    assert "Sent to AWS: Not an anomaly." in html and "batch job" in html and "dana" in html
    assert cost_org.ce(PAYER).feedback == [(page_feedback_org.anomaly_id, "NO")]


def test_an_aws_refusal_is_shown_and_changes_nothing(client, manager, page_feedback_org, emulator):
    emulator.inject(
        "ce", "ProvideAnomalyFeedback", "AccessDeniedException", message="Denied by SCP"
    )
    client.force_login(manager)
    url = f"/costs/anomalies/{page_feedback_org.pk}/"
    html = client.post(f"{url}feedback/", {"feedback": "YES"}, follow=True).content.decode()
    assert "AWS refused the feedback; nothing was changed." in html and "Denied by SCP" in html
    assert not AnomalyFeedbackRecord.objects.exists()
    page_feedback_org.refresh_from_db()
    assert page_feedback_org.feedback == ""


def test_budgets_page_shows_status_notifications_and_chart(client, alice, costs_data):
    client.force_login(alice)
    html = client.get("/budgets/").content.decode()
    assert "prod &lt;b&gt;budget&lt;/b&gt;" in html and "status-over" in html
    assert "actual &gt; 80%: ALARM" in html and "fig-budgets" in html
    data = json.loads(figure(html, "fig-budgets"))
    assert data["data"][0]["y"] == ["prod &lt;b&gt;budget&lt;/b&gt; (222222222222)"]
    assert data["data"][0]["customdata"] == ["/budgets/?account=222222222222"]
    html = client.get("/budgets/", {"status": "ok"}).content.decode()
    assert "No budget matches" in html
