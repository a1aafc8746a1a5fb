"""cost-anomalies/, its feedback/, budgets/: scoped, the fields of docs/api.md, the feedback matrix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.choices import Role
from accounts.services import person_set_access
from costs.models import AnomalyFeedbackRecord, Budget, CostAnomaly
from tests.conftest import bearer_client
from tests.costs.conftest import PAYER, anomaly
from tests.factories import AwsAccountFactory, UserFactory

ANOMALIES = "/api/v1/cost-anomalies/"
BUDGETS = "/api/v1/budgets/"


@pytest.fixture
def stored(db, payer, account_a, account_b):
    """An anomaly and a budget in each of 222222222222 (bob's) and 333333333333."""
    a = anomaly(account_id="222222222222", total_impact="1875.42")
    b = anomaly(account_id="333333333333", total_impact="12.5", total_impact_percentage=None)
    for account in (account_a, account_b):
        Budget.objects.create(
            account=account, name=f"b-{account.account_id}", budget_type="COST",
            time_unit="MONTHLY", limit=Decimal(100), actual=Decimal("85.5"),
            forecast=Decimal(90), percent_used=Decimal("85.50"), status="warning",
            notifications=[{"type": "ACTUAL", "state": "ALARM", "threshold": "80"}], content_hash="x",
        )  # fmt: skip
    return a, b


@pytest.fixture
def feedback_org(cost_org, stored):
    """The anomalies also exist at the emulated payer, so AWS accepts feedback on them."""
    for a in stored:
        cost_org.ce(PAYER).add_anomaly({"AnomalyId": a.anomaly_id, "MonitorArn": "arn:m",
                                        "Impact": {"MaxImpact": 1.0, "TotalImpact": 1.0}})  # fmt: skip
    return stored


def test_charlie_sees_nothing(charlie, stored):
    client = bearer_client(charlie)
    assert client.get(ANOMALIES).json()["results"] == []
    assert client.get(BUDGETS).json()["results"] == []
    assert client.get(f"{ANOMALIES}{stored[0].pk}/").status_code == 404


def test_bob_sees_only_his_account(bob, stored):
    client = bearer_client(bob)
    assert [a["account_id"] for a in client.get(ANOMALIES).json()["results"]] == ["222222222222"]
    assert [b["account_id"] for b in client.get(BUDGETS).json()["results"]] == ["222222222222"]
    assert client.get(f"{ANOMALIES}{stored[1].pk}/").status_code == 404


def test_anomaly_fields_follow_the_contract(alice, stored):
    body = bearer_client(alice).get(f"{ANOMALIES}{stored[1].pk}/").json()
    for field in ("id", "anomaly_id", "account_id", "service", "start_date", "end_date",
                  "total_impact", "total_actual", "total_expected", "total_impact_percentage",
                  "root_causes", "feedback", "derived_severity"):  # fmt: skip
        assert field in body
    assert body["total_impact_percentage"] is None and body["feedback"] is None
    assert body["derived_severity"] == "low" and Decimal(body["total_impact"]) == Decimal("12.5")
    assert body["start_date"] == "2024-05-02"


def test_budget_fields_follow_the_contract(alice, stored):
    body = bearer_client(alice).get(BUDGETS).json()["results"][0]
    assert {"id", "name", "account_id", "budget_type", "limit", "actual", "forecast", "unit",
            "time_unit", "percent_used", "status", "notifications"} <= set(body)  # fmt: skip
    assert body["status"] == "warning" and Decimal(body["percent_used"]) == Decimal("85.5")


def test_filters_and_a_bad_value_answers_400_naming_it(alice, stored):
    client = bearer_client(alice)
    assert len(client.get(ANOMALIES, {"min_impact": "100"}).json()["results"]) == 1
    assert len(client.get(ANOMALIES, {"severity": "high"}).json()["results"]) == 1
    assert len(client.get(ANOMALIES, {"account": "333333333333"}).json()["results"]) == 1
    assert len(client.get(ANOMALIES, {"feedback": "none"}).json()["results"]) == 2
    assert len(client.get(ANOMALIES, {"date": "2024-05-03"}).json()["results"]) == 2
    assert len(client.get(BUDGETS, {"status": "over"}).json()["results"]) == 0
    for url, param, value in [(ANOMALIES, "account", "12"), (ANOMALIES, "min_impact", "x"),
                              (ANOMALIES, "start_after", "tuesday"), (BUDGETS, "status", "red")]:  # fmt: skip
        response = client.get(url, {param: value})
        assert response.status_code == 400 and param in response.json()


def test_lists_pin_their_query_count(alice, stored, django_assert_num_queries):
    client = bearer_client(alice)
    client.get(ANOMALIES)
    # token, scope, count, page; + the caller's account scope (root causes, totals)
    with django_assert_num_queries(5):
        assert client.get(ANOMALIES, {"page_size": 1}).json()["count"] == 2
    with django_assert_num_queries(4):
        assert client.get(BUDGETS, {"page_size": 1}).json()["count"] == 2
    with django_assert_num_queries(4):  # the whole list on its first page: no count
        assert client.get(ANOMALIES).json()["count"] == 2
    with django_assert_num_queries(3):
        assert client.get(BUDGETS).json()["count"] == 2


def post_feedback(client, pk, feedback="PLANNED_ACTIVITY", reason="load test"):
    return client.post(f"{ANOMALIES}{pk}/feedback/", {"feedback": feedback, "reason": reason})


def test_feedback_round_trips_to_aws_and_records_who_when_why(manager, feedback_org, cost_org):
    target = feedback_org[0]
    response = post_feedback(bearer_client(manager, can_write=True), target.pk)
    assert response.status_code == 200 and response.json()["feedback"] == "PLANNED_ACTIVITY"
    assert cost_org.ce(PAYER).feedback == [(target.anomaly_id, "PLANNED_ACTIVITY")]
    assert cost_org.ce(PAYER).anomalies[target.anomaly_id]["Feedback"] == "PLANNED_ACTIVITY"
    record = AnomalyFeedbackRecord.objects.get()
    assert (record.user, record.user_name, record.reason) == (manager, "dana", "load test")


@pytest.mark.parametrize(("role", "can_write", "status"), [
    (Role.MANAGER, True, 200), (Role.ADMIN, True, 200), (Role.ANALYST, True, 403),
    (Role.VIEWER, True, 403), (Role.MANAGER, False, 403),
])  # fmt: skip
def test_feedback_permission_matrix(feedback_org, role, can_write, status):
    user = UserFactory(username=f"u-{role}-{can_write}")
    person_set_access(actor=None, user=user, role=role, all_accounts=True, accounts=[])
    response = post_feedback(bearer_client(user, can_write=can_write), feedback_org[0].pk)
    assert response.status_code == status


def test_feedback_on_an_anomaly_out_of_reach_is_404(feedback_org):
    user = UserFactory(username="limited-manager")
    person_set_access(actor=None, user=user, role=Role.MANAGER, all_accounts=False,
                      accounts=[AwsAccountFactory(account_id="222222222222")])  # fmt: skip
    assert post_feedback(bearer_client(user, can_write=True), feedback_org[1].pk).status_code == 404


def test_aws_refusal_answers_502_with_its_message_and_changes_nothing(
    manager, feedback_org, cost_org, emulator
):
    emulator.inject("ce", "ProvideAnomalyFeedback", "AccessDeniedException",
                    message="User is not authorized to perform: ce:ProvideAnomalyFeedback")  # fmt: skip
    target = feedback_org[0]
    response = post_feedback(bearer_client(manager, can_write=True), target.pk)
    assert response.status_code == 502
    assert "not authorized to perform: ce:ProvideAnomalyFeedback" in response.json()["detail"]
    assert CostAnomaly.objects.get(pk=target.pk).feedback == ""
    assert not AnomalyFeedbackRecord.objects.exists()
    assert cost_org.ce(PAYER).feedback == []


def test_a_bad_feedback_value_is_400(manager, feedback_org):
    response = post_feedback(bearer_client(manager, can_write=True), feedback_org[0].pk, "MAYBE")
    assert response.status_code == 400 and "feedback" in response.json()


def test_the_schema_lists_the_costs_endpoints(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert {"/api/v1/cost-anomalies/", "/api/v1/cost-anomalies/{id}/feedback/",
            "/api/v1/budgets/"} <= set(schema["paths"])  # fmt: skip
