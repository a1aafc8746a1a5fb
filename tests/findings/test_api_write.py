"""PATCH findings/{id}/: the workflow written back with ETag / If-Match, history with the token's owner."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from findings.models import Finding, FindingEvent
from tests.conftest import bearer_client

LIST = "/api/v1/findings/"


@pytest.fixture
def finding(store, account_a) -> Finding:
    return store(account_a)


@pytest.fixture
def other(store, account_b) -> Finding:
    return store(account_b)


def etag_of(client: APIClient, finding: Finding) -> str:
    response = client.get(f"{LIST}{finding.pk}/")
    assert response.status_code == 200
    return response["ETag"]


def patch(client: APIClient, finding: Finding, body: dict, etag: str | None = None):
    headers = {"HTTP_IF_MATCH": etag} if etag is not None else {}
    return client.patch(f"{LIST}{finding.pk}/", body, format="json", **headers)


def test_get_detail_sends_a_strong_etag_that_moves_with_updated_at(bob, finding):
    client = bearer_client(bob)
    etag = etag_of(client, finding)
    assert etag.startswith('"') and not etag.startswith("W/")
    assert etag_of(client, finding) == etag
    Finding.objects.filter(pk=finding.pk).update(updated_at=finding.updated_at.replace(year=2030))
    assert etag_of(client, finding) != etag


def test_patch_with_the_current_etag_changes_and_records_the_token_owner(bob, finding):
    client = bearer_client(bob, can_write=True)
    etag = etag_of(client, finding)
    body = {"status": "acknowledged", "assignee": "bob", "ticket_ref": "SEC-1", "note": "on it"}
    response = patch(client, finding, body, etag)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["status"], data["assignee"], data["ticket_ref"]) == (
        "acknowledged",
        "bob",
        "SEC-1",
    )
    assert response["ETag"] != etag
    events = FindingEvent.objects.filter(finding=finding, actor__isnull=False)
    assert {e.kind for e in events} == {"status_changed", "assigned", "ticket_changed", "note"}
    assert {e.actor_name for e in events} == {"bob"}
    assert data["events"][-1]["actor"] == "bob"


def test_a_stale_etag_is_412_and_nothing_is_written(bob, finding):
    client = bearer_client(bob, can_write=True)
    stale = etag_of(client, finding)
    assert patch(client, finding, {"ticket_ref": "SEC-1"}, stale).status_code == 200
    response = patch(client, finding, {"status": "resolved"}, stale)  # the other tool's version
    assert response.status_code == 412
    assert "GET it again" in response.json()["detail"]
    assert response["ETag"] == etag_of(client, finding)
    finding.refresh_from_db()
    assert finding.status == "open" and finding.ticket_ref == "SEC-1"


def test_a_missing_if_match_is_428(bob, finding):
    response = patch(bearer_client(bob, can_write=True), finding, {"status": "resolved"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_if_match_star_and_a_list_of_tags_are_understood(bob, finding):
    client = bearer_client(bob, can_write=True)
    assert patch(client, finding, {"ticket_ref": "A"}, "*").status_code == 200
    etag = etag_of(client, finding)
    assert patch(client, finding, {"ticket_ref": "B"}, f'"x", {etag}').status_code == 200
    assert patch(client, finding, {"ticket_ref": "C"}, f"W/{etag}").status_code == 412


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"assignee": "nobody"}, "assignee"),
        ({"ticket_ref": "x" * 201}, "ticket_ref"),
        ({"ticket_ref": "a\nb"}, "ticket_ref"),
        ({"note": "x" * 4001}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"severity": "low"}, "severity"),
        ({"status": None}, "status"),
    ],
)
def test_a_bad_value_is_400_naming_the_field(bob, finding, body, field):
    client = bearer_client(bob, can_write=True)
    response = patch(client, finding, body, etag_of(client, finding))
    assert response.status_code == 400
    assert field in response.json()
    assert not FindingEvent.objects.filter(finding=finding, actor__isnull=False).exists()


def test_an_empty_or_non_object_body_is_400(bob, finding):
    client = bearer_client(bob, can_write=True)
    etag = etag_of(client, finding)
    assert patch(client, finding, {}, etag).status_code == 400
    assert patch(client, finding, ["status"], etag).status_code == 400


def test_an_assignee_who_cannot_see_the_account_is_refused(bob, finding, charlie):
    client = bearer_client(bob, can_write=True)
    response = patch(client, finding, {"assignee": "charlie"}, etag_of(client, finding))
    assert response.status_code == 400 and "assignee" in response.json()


def test_null_assignee_unassigns(bob, finding):
    client = bearer_client(bob, can_write=True)
    assert patch(client, finding, {"assignee": "bob"}, "*").json()["assignee"] == "bob"
    assert patch(client, finding, {"assignee": None}, "*").json()["assignee"] is None


def test_read_only_token_viewer_and_manager_are_403(bob, charlie, finding, django_user_model):
    from accounts.choices import Role
    from accounts.services import person_set_access

    assert patch(bearer_client(bob), finding, {"status": "resolved"}, "*").status_code == 403
    manager = django_user_model.objects.create_user("dana")
    person_set_access(actor=None, user=manager, role=Role.MANAGER, all_accounts=True, accounts=[])
    viewer = django_user_model.objects.create_user("vic")
    person_set_access(actor=None, user=viewer, role=Role.VIEWER, all_accounts=True, accounts=[])
    for person in (manager, viewer, charlie):
        client = bearer_client(person, can_write=True)
        assert patch(client, finding, {"status": "resolved"}, "*").status_code == 403
    finding.refresh_from_db()
    assert finding.status == "open"


def test_another_accounts_finding_is_404(bob, other):
    client = bearer_client(bob, can_write=True)
    assert patch(client, other, {"status": "resolved"}, "*").status_code == 404


def test_put_is_not_allowed(bob, finding):
    client = bearer_client(bob, can_write=True)
    response = client.put(f"{LIST}{finding.pk}/", {"status": "resolved"}, HTTP_IF_MATCH="*")
    assert response.status_code == 405


def test_nothing_changed_keeps_the_etag(bob, finding):
    client = bearer_client(bob, can_write=True)
    etag = etag_of(client, finding)
    response = patch(client, finding, {"status": "open"}, etag)
    assert response.status_code == 200 and response["ETag"] == etag


def test_the_change_appears_in_the_feed(bob, finding):
    client = bearer_client(bob, can_write=True)
    first = client.get(LIST, {"updated_since": "2000-01-01T00:00:00Z"}).json()
    patch(client, finding, {"status": "acknowledged"}, "*")
    rows = client.get(first["resume"]).json()["results"]
    assert [(r["id"], r["status"]) for r in rows] == [(finding.pk, "acknowledged")]
