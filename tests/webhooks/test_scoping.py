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


def _ids(response):
    return sorted(r["id"] for r in response.json()["results"])


def test_a_scoped_admin_sees_and_changes_only_subscriptions_within_their_accounts(
    alice, dave, account_a, receiver, client
):
    everything, _ = subscription_create(
        actor=alice, name="alice-all", url=receiver.url, events=["finding.created"]
    )
    only_a, _ = subscription_create(
        actor=alice,
        name="alice-a",
        url=receiver.url,
        events=["finding.created"],
        accounts=["222222222222"],
    )
    own, _ = subscription_create(
        actor=dave, name="dave-own", url=receiver.url, events=["finding.created"]
    )
    as_dave = bearer_client(dave, can_write=True)
    assert _ids(as_dave.get(API)) == sorted([only_a.pk, own.pk])
    assert _ids(bearer_client(alice).get(API)) == sorted([everything.pk, only_a.pk, own.pk])
    # Another person's all-accounts subscription: not there at all.
    evil = {"url": "https://attacker.example/collect"}
    assert as_dave.patch(f"{API}{everything.pk}/", evil, format="json").status_code == 404
    assert as_dave.post(f"{API}{everything.pk}/rotate-secret/").status_code == 404
    assert as_dave.delete(f"{API}{everything.pk}/").status_code == 404
    # One within dave's accounts: he sees it, but only its owner re-points it or takes its secret.
    response = as_dave.patch(f"{API}{only_a.pk}/", evil, format="json")
    assert response.status_code == 400 and "owner" in response.json()["url"][0]
    assert as_dave.post(f"{API}{only_a.pk}/rotate-secret/").status_code == 403
    assert as_dave.patch(f"{API}{only_a.pk}/", {"active": False}, format="json").status_code == 200
    everything.refresh_from_db()
    only_a.refresh_from_db()
    assert everything.url == receiver.url and only_a.url == receiver.url
    # Its owner still may.
    as_alice = bearer_client(alice, can_write=True)
    moved = {"url": receiver.url + "/moved"}
    assert as_alice.patch(f"{API}{only_a.pk}/", moved, format="json").status_code == 200
    client.force_login(dave)
    page = client.get("/webhooks/").content.decode()
    assert "dave-own" in page and "alice-a" in page and "alice-all" not in page


def test_deliveries_are_listed_only_with_accounts_the_person_sees(
    alice, dave, store, account_a, account_b, receiver
):
    subscription_create(actor=alice, name="alice-all", url=receiver.url, events=["finding.created"])
    own, _ = subscription_create(
        actor=dave, name="dave-own", url=receiver.url, events=["finding.created"]
    )
    finding_b = store(account_b)
    store(account_a)
    from webhooks.models import WebhookDelivery

    hidden = WebhookDelivery.objects.get(account_id="333333333333")
    assert hidden.payload["data"]["finding"]["id"] == finding_b.pk
    as_dave = bearer_client(dave, can_write=True)
    listed = as_dave.get(DELIVERIES).json()["results"]
    assert {d["subscription"] for d in listed} == {own.pk}
    assert as_dave.get(f"{DELIVERIES}{hidden.pk}/").status_code == 404
    assert as_dave.post(f"{DELIVERIES}{hidden.pk}/replay/").status_code == 404
    assert hidden.pk not in {d["id"] for d in listed}
    assert len(bearer_client(alice).get(DELIVERIES).json()["results"]) == 3


def test_a_delivery_is_sent_only_while_its_owner_sees_its_account(
    dave, account_a, account_b, store, receiver
):
    from webhooks.delivery import delivery_attempt
    from webhooks.models import WebhookDelivery

    subscription, _ = subscription_create(
        actor=dave, name="dave-own", url=receiver.url, events=["finding.created"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="finding.created",
        account_id="222222222222",
        payload={"data": {"finding": {"account_id": "222222222222"}}},
    )
    # dave loses account_a before the delivery goes out.
    person_set_access(
        actor=None, user=dave, role=Role.ADMIN, all_accounts=False, accounts=[account_b]
    )
    outcome = delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome.status == "failed" and "no longer sees" in delivery.error
    assert receiver.requests == []
    # And nothing new of account_a is queued for him.
    store(account_a)
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 1
