"""A multi-account cost anomaly: a person sees only the root causes of the accounts they see, and
its totals only when they see every account of it (API, pages; the webhook in tests/webhooks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from costs.collectors.cost_explorer import AnomalyRecord
from costs.models import CostAnomaly
from costs.selectors import anomaly_redact
from costs.services.cost_sync import anomalies_upsert
from tests.conftest import bearer_client

API = "/api/v1/cost-anomalies/"
CAUSE_A = {
    "Service": "Amazon EC2",
    "Region": "us-east-1",
    "LinkedAccount": "222222222222",
    "LinkedAccountName": "Production",
    "UsageType": "BoxUsage:m5.large",
    "Impact": {"Contribution": 900.0},
}
CAUSE_B = {
    "Service": "Amazon EC2",
    "Region": "eu-west-1",
    "LinkedAccount": "333333333333",
    "LinkedAccountName": "Staging",
    "UsageType": "SecretUsageTypeOfB",
    "Impact": {"Contribution": 600.0},
}


def _record(anomaly_id: str, *causes: dict) -> AnomalyRecord:
    return AnomalyRecord(
        anomaly_id=anomaly_id,
        monitor_arn="arn:aws:ce::111111111111:anomalymonitor/m",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 5, 3),
        dimension_value="Amazon EC2",
        root_causes=causes,
        max_score=0.9,
        current_score=0.8,
        max_impact=Decimal("700"),
        total_impact=Decimal("1500"),
        total_actual=Decimal("1600"),
        total_expected=Decimal("100"),
        impact_percentage=Decimal("1500"),
        feedback="",
        raw={"AnomalyId": anomaly_id},
    )


@pytest.fixture
def anomalies(db, account_a, account_b):
    anomalies_upsert(
        payer=account_a,
        records=[_record("mixed", CAUSE_A, CAUSE_B), _record("only-a", CAUSE_A)],
        monitors={},
        now=timezone.now(),
    )
    return {a.anomaly_id: a for a in CostAnomaly.objects.all()}


def test_the_api_shows_a_scoped_person_only_their_root_causes_and_no_totals(bob, alice, anomalies):
    mixed = anomalies["mixed"]
    assert mixed.account_id == "222222222222"  # filed under its largest root cause: bob's
    as_bob = bearer_client(bob)
    for body in (
        as_bob.get(f"{API}{mixed.pk}/").json(),
        next(r for r in as_bob.get(API).json()["results"] if r["anomaly_id"] == "mixed"),
    ):
        assert [c["LinkedAccount"] for c in body["root_causes"]] == ["222222222222"]
        assert "SecretUsageTypeOfB" not in str(body)
        assert body["total_impact"] is None and body["total_actual"] is None
        assert body["total_expected"] is None and body["max_impact"] is None
        assert body["total_impact_percentage"] is None
        assert body["derived_severity"] is None  # a band of the hidden total
    # Every account of "only-a" is bob's: he sees its totals.
    only_a = as_bob.get(f"{API}{anomalies['only-a'].pk}/").json()
    assert Decimal(only_a["total_impact"]) == Decimal("1500")
    # alice sees every account: everything.
    full = bearer_client(alice).get(f"{API}{mixed.pk}/").json()
    assert len(full["root_causes"]) == 2 and Decimal(full["total_impact"]) == Decimal("1500")
    assert full["derived_severity"] == "high"


def test_a_person_of_the_other_account_does_not_see_the_anomaly(charlie, account_b, anomalies):
    from accounts.choices import Role
    from accounts.services import person_set_access

    person_set_access(
        actor=None, user=charlie, role=Role.VIEWER, all_accounts=False, accounts=[account_b]
    )
    client = bearer_client(charlie)
    assert client.get(API).json()["results"] == []
    assert client.get(f"{API}{anomalies['mixed'].pk}/").status_code == 404


def test_the_pages_show_a_scoped_person_only_their_root_causes(client, bob, alice, anomalies):
    mixed = anomalies["mixed"]
    client.force_login(bob)
    detail = client.get(f"/costs/anomalies/{mixed.pk}/").content.decode()
    assert "BoxUsage:m5.large" in detail
    assert "SecretUsageTypeOfB" not in detail and "333333333333" not in detail
    assert "1,500" not in detail and "1,600" not in detail
    assert "root causes include accounts you do not see" in detail
    assert "a band of the hidden total impact" in detail and "sev-high" not in detail
    listing = client.get("/costs/anomalies/").content.decode()
    assert "1,500" in listing  # only-a's total
    assert listing.count("not shown: other accounts") == 1
    client.force_login(alice)
    detail = client.get(f"/costs/anomalies/{mixed.pk}/").content.decode()
    assert "SecretUsageTypeOfB" in detail and "1,500" in detail


def test_redaction_treats_a_root_cause_without_an_account_as_the_anomalys_own():
    values = {
        "account_id": "222222222222",
        "root_causes": [{"Service": "EC2"}, "not a dict", CAUSE_B],
        "total_impact": "10",
    }
    redacted = anomaly_redact(values, {"222222222222"})
    assert redacted["root_causes"] == [{"Service": "EC2"}, "not a dict"]
    assert redacted["total_impact"] is None


@pytest.fixture
def with_small(anomalies, account_a):
    from dataclasses import replace

    small = replace(
        _record("small-a", CAUSE_A),
        total_impact=Decimal("10"),
        max_impact=Decimal("10"),
        total_actual=Decimal("110"),
    )
    anomalies_upsert(payer=account_a, records=[small], monitors={}, now=timezone.now())
    return {a.anomaly_id: a for a in CostAnomaly.objects.all()}


def _ids(client, url: str) -> list[str]:
    return [r["anomaly_id"] for r in client.get(url).json()["results"]]


def test_total_filters_and_ordering_do_not_narrow_down_a_hidden_total(bob, alice, with_small):
    """A total bob may not see counts as null: it matches no total filter and sorts as null (on
    PostgreSQL: last ascending, first descending), whatever its value."""
    as_bob = bearer_client(bob)
    assert sorted(_ids(as_bob, API)) == ["mixed", "only-a", "small-a"]
    assert sorted(_ids(as_bob, f"{API}?min_impact=0")) == ["only-a", "small-a"]
    assert _ids(as_bob, f"{API}?min_impact=1000") == ["only-a"]
    assert _ids(as_bob, f"{API}?severity=high") == ["only-a"]
    assert _ids(as_bob, f"{API}?severity=low") == ["small-a"]
    assert _ids(as_bob, f"{API}?ordering=-total_impact") == ["mixed", "only-a", "small-a"]
    assert _ids(as_bob, f"{API}?ordering=total_impact") == ["small-a", "only-a", "mixed"]
    # alice sees every account: every total filters and sorts.
    as_alice = bearer_client(alice)
    assert sorted(_ids(as_alice, f"{API}?min_impact=1000")) == ["mixed", "only-a"]
    assert _ids(as_alice, f"{API}?ordering=-total_impact")[-1] == "small-a"


def test_the_page_filters_a_hidden_total_as_the_api_does(client, bob, with_small):
    client.force_login(bob)
    for query in ("min_impact=1000", "severity=high", "min_impact=0"):
        page = client.get(f"/costs/anomalies/?{query}").content.decode()
        assert "not shown: other accounts" not in page, query
    page = client.get("/costs/anomalies/?ordering=-total_impact")
    listed = [a.anomaly_id for a in page.context["page"].object_list]
    assert listed == ["mixed", "only-a", "small-a"]  # null first descending, as in the API
    page = client.get("/costs/anomalies/?ordering=total_impact")
    listed = [a.anomaly_id for a in page.context["page"].object_list]
    assert listed == ["small-a", "only-a", "mixed"]


def test_the_chart_says_the_totals_are_hidden_instead_of_drawing_zeros(client, bob, anomalies):
    """No daily cost rows and totals bob may not see: no 0/0 bars, the chart says why."""
    client.force_login(bob)
    response = client.get(f"/costs/anomalies/{anomalies['mixed'].pk}/")
    figure = response.context["fig_anomaly"]
    assert all(not trace.get("y") for trace in figure.get("data", []))
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert any("Totals not shown" in note for note in notes)
    # Totals bob sees are still drawn.
    response = client.get(f"/costs/anomalies/{anomalies['only-a'].pk}/")
    figure = response.context["fig_anomaly"]
    assert figure["data"][0]["y"] == [100.0, 1600.0]


def test_the_chart_draws_only_the_totals_aws_gave():
    from costs import charts

    fig = charts.anomaly_figure(
        daily=[], start=None, end=None, expected=None, actual=Decimal(5), link="/", as_of=None
    ).to_plotly_json()
    assert list(fig["data"][0]["x"]) == ["Actual"] and list(fig["data"][0]["y"]) == [5.0]
    fig = charts.anomaly_figure(
        daily=[], start=None, end=None, expected=None, actual=None, link="/", as_of=None
    ).to_plotly_json()
    assert not fig["data"]
    assert "AWS gave no expected or actual" in str(fig["layout"]["annotations"])
