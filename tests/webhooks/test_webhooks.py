"""Webhooks: subscriptions, which events reach whom, signed delivery, retries, refusals, replay."""

from __future__ import annotations

import re
import socket
from datetime import date
from decimal import Decimal

import pytest

from costs.collectors.budgets import BudgetRecord, NotificationRecord
from costs.collectors.cost_explorer import AnomalyRecord
from costs.services.budget_sync import budgets_upsert
from costs.services.cost_sync import anomalies_upsert
from findings.services.workflow import finding_workflow_update
from tests.conftest import bearer_client
from webhooks.delivery import MAX_ATTEMPTS, RETRY_SCHEDULE
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.services import subscription_create
from webhooks.signing import signature_header, signature_verify

API = "/api/v1/webhooks/"
DELIVERIES = "/api/v1/webhook-deliveries/"
ALL_FINDING_EVENTS = ["finding.created", "finding.updated", "finding.reopened", "finding.resolved"]


def subscribe(owner, url, **values):
    values.setdefault("events", ALL_FINDING_EVENTS)
    subscription, secret = subscription_create(actor=owner, name="tickets", url=url, **values)
    return subscription, secret


# --- the API ----------------------------------------------------------------------------------


def test_an_admin_creates_a_subscription_and_sees_its_secret_once(alice, receiver):
    client = bearer_client(alice, can_write=True)
    body = {"name": "jira", "url": receiver.url, "events": ["finding.created"]}
    response = client.post(API, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["owner"] == "alice"
    listed = client.get(API).json()["results"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{API}{created['id']}/").json()
    rotated = client.post(f"{API}{created['id']}/rotate-secret/").json()["secret"]
    assert rotated != created["secret"]
    assert WebhookSubscription.objects.get().secret == rotated


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["finding.deleted"]}, "events"),
        ({"events": []}, "events"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"min_severity": "huge"}, "min_severity"),
        ({"sources": ["cloudtrail"]}, "sources"),
        ({"accounts": ["12"]}, "accounts"),
        ({"accounts": ["444444444444"]}, "accounts"),
    ],
)
def test_a_bad_subscription_is_400_naming_the_field(alice, receiver, body, field):
    full = {"name": "x", "url": receiver.url, "events": ["finding.created"], **body}
    response = bearer_client(alice, can_write=True).post(API, full, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_refused_unless_allowed(alice, settings, receiver):
    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = False
    client = bearer_client(alice, can_write=True)
    for url in (
        receiver.url,
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/",
    ):
        response = client.post(API, {"name": "x", "url": url, "events": ["ping"]}, format="json")
        assert response.status_code == 400
    body = {"name": "x", "url": receiver.url, "events": ["finding.created"]}
    response = client.post(API, body, format="json")
    assert response.status_code == 400 and "private" in response.json()["url"][0]


def test_only_admins_manage_webhooks(bob, charlie, alice, receiver):
    for person in (bob, charlie):
        client = bearer_client(person, can_write=True)
        assert client.get(API).status_code == 403
        body = {"name": "x", "url": receiver.url, "events": ["finding.created"]}
        assert client.post(API, body, format="json").status_code == 403
        assert client.get(DELIVERIES).status_code == 403
    read_only = bearer_client(alice)
    assert read_only.get(API).status_code == 200
    body = {"name": "x", "url": receiver.url, "events": ["finding.created"]}
    assert read_only.post(API, body, format="json").status_code == 403


# --- events and signatures ----------------------------------------------------------------------


def test_a_new_finding_is_delivered_signed(alice, store, account_a, receiver):
    _sub, secret = subscribe(alice, receiver.url)
    finding = store(account_a, severity_score=8.0)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = request["headers"]
    assert headers["Watchpost-Event"] == "finding.created"
    assert signature_verify(
        secret=secret, header=headers["Watchpost-Signature"], body=request["body"]
    )
    assert not signature_verify(
        secret="wrong", header=headers["Watchpost-Signature"], body=request["body"]
    )
    payload = receiver.payloads()[0]
    assert payload["type"] == "finding.created" and payload["id"] == headers["Watchpost-Event-Id"]
    assert payload["data"]["finding"]["id"] == finding.pk
    assert payload["data"]["finding"]["account_id"] == "222222222222"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("succeeded", 200, 1)
    assert delivery.response_excerpt == "answer 200"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    header = signature_header(secret="s", timestamp=1700000000, body=b'{"a":1}')
    expected = hmac.new(b"s", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signature_verify(secret="s", header=header, body=b'{"a":1}', now=1700000100)
    assert not signature_verify(secret="s", header=header, body=b'{"a":1}', now=1700001000)
    assert not signature_verify(secret="s", header=header, body=b'{"a":2}', now=1700000000)


def test_workflow_events_updated_resolved_reopened(alice, bob, store, account_a, receiver):
    finding = store(account_a)
    subscribe(alice, receiver.url)
    finding_workflow_update(finding=finding, actor=bob, ticket_ref="SEC-1")
    finding_workflow_update(finding=finding, actor=bob, status="resolved")
    finding_workflow_update(finding=finding, actor=bob, status="open")
    assert [p["type"] for p in receiver.payloads()] == [
        "finding.updated",
        "finding.resolved",
        "finding.reopened",
    ]


def test_aws_archiving_resolves_and_a_rollback_sends_nothing(alice, store, account_a, receiver):
    from django.db import transaction

    finding = store(account_a)
    subscribe(alice, receiver.url)
    store(account_a, source_id=finding.source_id, aws_state="archived")
    assert [p["type"] for p in receiver.payloads()] == ["finding.resolved"]
    with pytest.raises(RuntimeError), transaction.atomic():
        store(account_a, title="never committed")
        raise RuntimeError
    assert len(receiver.requests) == 1


def test_filters_min_severity_sources_accounts_and_the_owners_access(
    alice, bob, store, account_a, account_b, receiver
):
    subscribe(alice, receiver.url, events=["finding.created"], min_severity="high")
    subscribe(alice, receiver.url, events=["finding.created"], sources=["macie"])
    subscribe(alice, receiver.url, events=["finding.created"], accounts=["333333333333"])
    subscribe(bob, receiver.url, events=["finding.created"])  # bob sees account_a only
    store(account_a, severity_score=8.0)  # high: first and bob's
    store(account_b, severity_score=2.0)  # low, account_b: third only
    by_sub = {}
    for d in WebhookDelivery.objects.select_related("subscription"):
        by_sub.setdefault(d.subscription.owner.username + str(d.subscription_id), []).append(
            d.payload["data"]["finding"]["account_id"]
        )
    subs = list(WebhookSubscription.objects.order_by("id"))
    counts = [WebhookDelivery.objects.filter(subscription=s).count() for s in subs]
    assert counts == [1, 0, 1, 1]
    assert (
        WebhookDelivery.objects.get(subscription=subs[2]).payload["data"]["finding"]["account_id"]
        == "333333333333"
    )
    assert (
        WebhookDelivery.objects.get(subscription=subs[3]).payload["data"]["finding"]["account_id"]
        == "222222222222"
    )


def test_anomaly_created_and_budget_alarm(alice, account_a, receiver):
    subscribe(alice, receiver.url, events=["anomaly.created", "budget.alarm"])
    anomaly = AnomalyRecord(
        anomaly_id="a-1",
        monitor_arn="arn:aws:ce::111111111111:anomalymonitor/m",
        start_date=date(2026, 5, 1),
        end_date=None,
        dimension_value="Amazon EC2",
        root_causes=({"LinkedAccount": "222222222222", "Service": "Amazon EC2"},),
        max_score=0.9,
        current_score=0.8,
        max_impact=Decimal("500"),
        total_impact=Decimal("1500"),
        total_actual=Decimal("1600"),
        total_expected=Decimal("100"),
        impact_percentage=Decimal("1500"),
        feedback="",
        raw={"AnomalyId": "a-1"},
    )
    from django.utils import timezone

    now = timezone.now()
    anomalies_upsert(payer=account_a, records=[anomaly], monitors={}, now=now)
    anomalies_upsert(payer=account_a, records=[anomaly], monitors={}, now=now)  # not new: nothing

    def budget(state: str) -> BudgetRecord:
        note = NotificationRecord("ACTUAL", "GREATER_THAN", Decimal(80), "PERCENTAGE", state)
        return BudgetRecord(
            name="monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit=Decimal(100),
            unit="USD",
            actual=Decimal(90) if state == "ALARM" else Decimal(10),
            forecast=None,
            period_start=None,
            period_end=None,
            notifications=(note,),
            raw={},
        )

    budgets_upsert(account=account_a, records=[budget("OK")], now=now)
    budgets_upsert(account=account_a, records=[budget("ALARM")], now=now)
    budgets_upsert(account=account_a, records=[budget("ALARM")], now=now)  # still: nothing new
    types = [p["type"] for p in receiver.payloads()]
    assert types == ["anomaly.created", "budget.alarm"]
    payloads = receiver.payloads()
    assert payloads[0]["data"]["anomaly"]["derived_severity"] == "high"
    assert payloads[1]["data"]["budget"]["name"] == "monthly"


# --- delivery: retries, refusals, replay -------------------------------------------------------


def test_failures_are_retried_with_exponential_backoff_then_given_up(
    alice, store, account_a, receiver
):
    receiver.statuses = [500]
    subscribe(alice, receiver.url, events=["finding.created"])
    store(account_a)  # eager Celery: every retry runs at once, the countdowns are recorded
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    tries = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [t.retry_in for t in tries] == [*RETRY_SCHEDULE, None]
    assert RETRY_SCHEDULE[:4] == (30, 120, 480, 1920)  # x4 each time, then capped at an hour
    assert all(t.response_status == 500 for t in tries)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert len({r["headers"]["Watchpost-Event-Id"] for r in receiver.requests}) == 1


def test_the_task_asks_celery_to_retry_with_the_countdown(
    alice, store, account_a, receiver, monkeypatch
):
    from celery.exceptions import Retry

    from webhooks.tasks import webhook_deliver_task

    receiver.statuses = [503]
    subscribe(alice, receiver.url, events=["finding.created"])
    delivery = WebhookDelivery.objects.create(
        subscription=WebhookSubscription.objects.get(), event="ping", payload={"x": 1}
    )
    asked = []

    def retry(*args, **kwargs):
        asked.append(kwargs["countdown"])
        return Retry()

    monkeypatch.setattr(webhook_deliver_task, "retry", retry)
    for _ in range(3):
        with pytest.raises(Retry):
            webhook_deliver_task.run(delivery.pk)
    assert asked == [30, 120, 480]


def test_a_recovered_receiver_succeeds_on_a_retry(alice, store, account_a, receiver):
    receiver.statuses = [502, 429, 200]
    subscribe(alice, receiver.url, events=["finding.created"])
    store(account_a)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 3, 200)


@pytest.mark.parametrize("status", [400, 404, 410, 301, 302])
def test_client_errors_and_redirects_are_final(alice, store, account_a, receiver, status):
    receiver.statuses = [status]
    subscribe(alice, receiver.url, events=["finding.created"])
    store(account_a)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, status)
    assert len(receiver.requests) == 1  # a redirect's Location is never followed
    if status < 400:
        assert "Redirect" in delivery.error


def test_running_the_task_twice_sends_once(alice, store, account_a, receiver):
    from webhooks.tasks import webhook_deliver_task

    subscribe(alice, receiver.url, events=["finding.created"])
    store(account_a)
    delivery = WebhookDelivery.objects.get()
    webhook_deliver_task.delay(delivery.pk)
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_dns_rebinding_to_a_private_address_is_refused_at_delivery(
    alice, store, account_a, receiver, settings, monkeypatch
):
    real = socket.getaddrinfo

    def public(host, port, *args, **kwargs):
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
        return real(host, port, *args, **kwargs)

    settings.WATCHPOST_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", public)
    subscribe(alice, "http://hooks.example.com/x", events=["finding.created"])

    def rebound(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    store(account_a)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "private" in delivery.error
    assert receiver.requests == []


def test_replay_from_the_api_and_the_page(alice, bob, store, account_a, receiver, client):
    receiver.statuses = [404, 200, 200]
    subscribe(alice, receiver.url, events=["finding.created"])
    store(account_a)
    failed = WebhookDelivery.objects.get()
    assert failed.status == "failed"
    api = bearer_client(alice, can_write=True)
    response = api.post(f"{DELIVERIES}{failed.pk}/replay/")
    assert response.status_code == 202 and response.json()["status"] == "succeeded"
    assert bearer_client(alice).post(f"{DELIVERIES}{failed.pk}/replay/").status_code == 403
    assert (
        bearer_client(bob, can_write=True).post(f"{DELIVERIES}{failed.pk}/replay/").status_code
        == 403
    )
    client.force_login(alice)
    page = client.get("/webhooks/")
    assert page.status_code == 200
    assert b"Replay" in page.content
    # No script but the site's own files (base.html loads static/js/site.js on every page).
    scripts = re.findall(rb"<script[^>]*>", page.content)
    assert all(re.fullmatch(rb'<script src="/static/[^"]+" defer>', tag) for tag in scripts)
    response = client.post(f"/webhooks/deliveries/{failed.pk}/replay/")
    assert response.status_code == 302
    ids = {r["headers"]["Watchpost-Event-Id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # same event id: receivers deduplicate
    assert WebhookDelivery.objects.filter(replay_of=failed).count() == 2
    detail = api.get(f"{DELIVERIES}{failed.pk}/").json()
    assert (
        detail["tries"][0]["response_status"] == 404
        and detail["payload"]["type"] == "finding.created"
    )


def test_the_page_is_for_admins_only(bob, charlie, client):
    for person in (bob, charlie):
        client.force_login(person)
        assert client.get("/webhooks/").status_code == 403


def test_ping_from_the_api(alice, receiver):
    subscription, secret = subscribe(alice, receiver.url, events=["finding.created"])
    response = bearer_client(alice, can_write=True).post(f"{API}{subscription.pk}/ping/")
    assert response.status_code == 202 and response.json()["status"] == "succeeded"
    request = receiver.requests[0]
    assert request["headers"]["Watchpost-Event"] == "ping"
    assert signature_verify(
        secret=secret, header=request["headers"]["Watchpost-Signature"], body=request["body"]
    )


def test_no_subscription_costs_one_query(store, account_a, django_assert_num_queries):
    from findings.signals import finding_changed

    with django_assert_num_queries(1):
        finding_changed.send(sender=None, kind="created", finding_ids=[1, 2, 3])
