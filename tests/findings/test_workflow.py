"""The workflow service: validated values, one event per changed field, AWS's state untouched."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from accounts.services import person_set_access
from findings.models import Finding, FindingChangeClock, FindingEvent
from findings.services.workflow import finding_workflow_update, finding_workflow_update_many
from tests.factories import UserFactory


@pytest.fixture
def finding(store, account_a):
    return store(account_a, severity_score=8.0)


def workflow_events(finding):
    return list(FindingEvent.objects.filter(finding=finding).exclude(kind="created").order_by("id"))


def test_each_changed_field_is_one_event_with_actor_before_and_after(finding, bob, alice):
    before = finding.updated_at
    changed = finding_workflow_update(
        finding=finding,
        actor=bob,
        status="acknowledged",
        assignee="alice",
        ticket_ref=" SEC-42 ",
        note="Looking into it",
    )
    assert changed == ["status", "assignee", "ticket_ref", "note"]
    finding.refresh_from_db()
    assert (finding.status, finding.assignee, finding.ticket_ref) == (
        "acknowledged",
        alice,
        "SEC-42",
    )
    assert finding.updated_at > before
    events = workflow_events(finding)
    assert [(e.kind, e.changes) for e in events] == [
        ("status_changed", {"status": ["open", "acknowledged"]}),
        ("assigned", {"assignee": [None, "alice"]}),
        ("ticket_changed", {"ticket_ref": ["", "SEC-42"]}),
        ("note", {"note": [None, "Looking into it"]}),
    ]
    assert {(e.actor, e.actor_name) for e in events} == {(bob, "bob")}
    assert {e.at for e in events} == {finding.updated_at}


def test_updated_at_comes_from_the_change_clock(finding, bob):
    finding_workflow_update(finding=finding, actor=bob, status="resolved")
    finding.refresh_from_db()
    assert FindingChangeClock.objects.get(pk=1).last == finding.updated_at


def test_nothing_changed_writes_nothing(finding, bob):
    before = finding.updated_at
    assert finding_workflow_update(finding=finding, actor=bob, status="open", ticket_ref="") == []
    finding.refresh_from_db()
    assert finding.updated_at == before
    assert workflow_events(finding) == []


def test_unassigning_and_clearing_the_ticket(finding, bob):
    finding_workflow_update(finding=finding, actor=bob, assignee=bob, ticket_ref="SEC-1")
    assert finding_workflow_update(finding=finding, actor=bob, assignee="", ticket_ref="") == [
        "assignee",
        "ticket_ref",
    ]
    finding.refresh_from_db()
    assert finding.assignee is None and finding.ticket_ref == ""
    assert workflow_events(finding)[-2].changes == {"assignee": ["bob", None]}


def test_aws_state_and_aws_fields_are_never_touched(store, account_a, bob):
    finding = store(account_a, aws_state="archived")
    raw, content_hash = finding.raw, finding.content_hash
    finding_workflow_update(finding=finding, actor=bob, status="open", note="still relevant")
    finding.refresh_from_db()
    assert finding.aws_state == "archived"
    assert (finding.raw, finding.content_hash) == (raw, content_hash)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"assignee": "nobody-here"}, "assignee"),
        ({"ticket_ref": "x" * 201}, "ticket_ref"),
        ({"ticket_ref": "SEC-1\nInjected: header"}, "ticket_ref"),
        ({"note": "n" * 4001}, "note"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(
    finding, bob, values, field
):
    with pytest.raises(ValidationError) as raised:
        finding_workflow_update(finding=finding, actor=bob, **values)
    assert field in raised.value.message_dict
    assert workflow_events(finding) == []


def test_the_assignee_must_be_active_and_see_the_account(finding, bob, account_b):
    other = UserFactory(username="dora")
    person_set_access(
        actor=None, user=other, role=Role.ANALYST, all_accounts=False, accounts=[account_b]
    )
    with pytest.raises(ValidationError) as raised:
        finding_workflow_update(finding=finding, actor=bob, assignee="dora")
    assert "cannot see" in raised.value.message_dict["assignee"][0]
    gone = UserFactory(username="eve", is_active=False)
    with pytest.raises(ValidationError, match="can no longer log in"):
        finding_workflow_update(finding=finding, actor=bob, assignee=gone)


def test_viewer_and_people_without_the_account_are_refused(finding, charlie, store, account_b, bob):
    with pytest.raises(PermissionDenied):
        finding_workflow_update(finding=finding, actor=charlie, status="resolved")
    elsewhere = store(account_b)
    with pytest.raises(PermissionDenied):
        finding_workflow_update(finding=elsewhere, actor=bob, status="resolved")
    assert Finding.objects.filter(status="resolved").count() == 0


def test_bulk_change_uses_a_fixed_number_of_queries(
    store, account_a, alice, django_assert_num_queries
):
    few = [store(account_a) for _ in range(2)]
    many = [store(account_a) for _ in range(12)]

    def run(findings, status):
        return finding_workflow_update_many(findings=findings, actor=alice, status=status)

    alice.has_perm("findings.change_workflow")  # permissions cached, as in a request
    with django_assert_num_queries(9) as small:
        assert len(run(few, "acknowledged")) == 2
    with django_assert_num_queries(len(small.captured_queries)):
        changed = run(many, "acknowledged")
    assert len(changed) == 12
    assert FindingEvent.objects.filter(kind="status_changed").count() == 14


def test_bulk_skips_findings_already_in_that_status(store, account_a, bob):
    done = store(account_a)
    finding_workflow_update(finding=done, actor=bob, status="resolved")
    other = store(account_a)
    changed = finding_workflow_update_many(findings=[done, other], actor=bob, status="resolved")
    assert changed == {other.pk: ["status"]}
