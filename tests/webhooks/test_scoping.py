"""Webhooks follow account scoping: what a subscription sends, who sees or changes it, and what
its deliveries show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import Role
from accounts.services import person_set_access
from costs.collectors.cost_explorer import AnomalyRecord
from costs.services.cost_sync import anomalies_upsert
from tests.conftest import bearer_client
from tests.factories import UserFactory
from webhooks.services import subscription_create

API = "/api/v1/webhooks/"
DELIVERIES = "/api/v1/webhook-deliveries/"


@pytest.fixture
def dave(db, account_a):
    """An Admin (manages webhooks) limited to account_a."""
    user = UserFactory(username="dave")
    person_set_access(
        actor=None, user=user, role=Role.ADMIN, all_accounts=False, accounts=[account_a]
    )
    return user


def _anomaly(anomaly_id: str, *accounts: str) -> AnomalyRecord:
    causes = tuple(
        {
            "Service": "Amazon EC2",
            "LinkedAccount": account,
            "UsageType": f"Usage-of-{account}",
            "Impact": {"Contribution": 1000.0 - i},
        }
        for i, account in enumerate(accounts)
    )
    return AnomalyRecord(
        anomaly_id=anomaly_id,
        monitor_arn="arn:aws:ce::111111111111:anomalymonitor/m",
        start_date=date(2026, 5, 1),
        end_date=None,
        dimension_value="Amazon EC2",
        root_causes=causes,
        max_score=0.9,
        current_score=0.8,
        max_impact=Decimal("500"),
        total_impact=Decimal("1500"),
        total_actual=Decimal("1600"),
        total_expected=Decimal("100"),
        impact_percentage=Decimal("1500"),
        feedback="",
        raw={"AnomalyId": anomaly_id},
    )


def test_anomaly_created_carries_only_the_owners_root_causes(
    alice, dave, account_a, account_b, receiver
):
    subscription_create(actor=dave, name="dave", url=receiver.url, events=["anomaly.created"])
    subscription_create(actor=alice, name="alice", url=receiver.url, events=["anomaly.created"])
    anomalies_upsert(
        payer=account_a,
        records=[_anomaly("mixed", "222222222222", "333333333333")],
        monitors={},
        now=timezone.now(),
    )
    payloads = {r["headers"].get("Watchpost-Delivery"): r for r in receiver.requests}
    assert len(payloads) == 2
    bodies = [p["data"]["anomaly"] for p in receiver.payloads()]
    scoped = next(b for b in bodies if len(b["root_causes"]) == 1)
    full = next(b for b in bodies if len(b["root_causes"]) == 2)
    assert scoped["root_causes"][0]["LinkedAccount"] == "222222222222"
    assert "Usage-of-333333333333" not in str(scoped)
    assert scoped["total_impact"] is None and scoped["total_actual"] is None
    assert Decimal(full["total_impact"]) == Decimal("1500")
