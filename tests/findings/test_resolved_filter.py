"""resolved_after / resolved_before: findings resolved now whose last resolution falls in the
window (the report's "resolved"), with the rule of findings.governance.sla."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from findings.models import FindingEvent
from findings.services.workflow import finding_workflow_update
from tests.conftest import bearer_client

LIST = "/api/v1/findings/"


def resolve(finding, alice, *, days_ago: float = 0) -> None:
    finding_workflow_update(finding=finding, actor=alice, status="resolved")
    event = FindingEvent.objects.filter(finding=finding).order_by("-id").first()
    FindingEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days_ago))


def test_the_window_holds_each_findings_last_resolution(alice, store, account_a):
    now = timezone.now()
    fixed = store(account_a, title="fixed this week")
    reopened = store(account_a, title="resolved then reopened")
    older = store(account_a, title="fixed 10 days ago")
    twice = store(account_a, title="fixed 10 days ago and again yesterday")
    resolve(fixed, alice, days_ago=2)
    resolve(reopened, alice, days_ago=2)
    finding_workflow_update(finding=reopened, actor=alice, status="open")
    resolve(older, alice, days_ago=10)
    resolve(twice, alice, days_ago=10)
    finding_workflow_update(finding=twice, actor=alice, status="open")
    resolve(twice, alice, days_ago=1)
    client = bearer_client(alice)

    def titles(after, before) -> set[str]:
        params = {"resolved_after": after.isoformat(), "resolved_before": before.isoformat()}
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return {f["title"] for f in response.json()["results"]}

    week = titles(now - timedelta(days=7), now)
    assert week == {"fixed this week", "fixed 10 days ago and again yesterday"}
    assert titles(now - timedelta(days=30), now - timedelta(days=7)) == {"fixed 10 days ago"}
    only_after = client.get(LIST, {"resolved_after": (now - timedelta(days=3)).isoformat()})
    assert len(only_after.json()["results"]) == 2
    assert client.get(LIST, {"resolved_after": "yesterday\x00"}).status_code == 400
