"""Risk acceptances: matching per field, expiry with a frozen clock, new findings, the API's
scoping and hostile inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import Role
from accounts.collection import collection_start
from accounts.models import AuditEvent
from accounts.services import person_set_access
from findings.governance import acceptance
from findings.governance.acceptance import (
    risk_acceptance_create,
    risk_acceptance_delete,
    risk_acceptances_expire,
)
from findings.models import Finding, FindingEvent, FindingVulnerability, RiskAcceptance
from findings.selectors import finding_summary_from_counts
from findings.signals import finding_changed
from tests.conftest import bearer_client
from tests.factories import UserFactory

# Ahead of the real clock: the findings change clock (findings.services.clock) never goes back.
NOW = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def frozen(monkeypatch):
    """timezone.now() answers `clock["now"]` (moved by the test)."""
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    return clock


@pytest.fixture
def dora(db, account_a):
    """A Manager limited to account_a."""
    user = UserFactory(username="dora")
    person_set_access(
        actor=None, user=user, role=Role.MANAGER, all_accounts=False, accounts=[account_a]
    )
    return user


@pytest.fixture
def reopened_signals():
    seen: list[tuple[str, list[int]]] = []

    def listen(sender: Any, kind: str, finding_ids: list[int], **_: Any) -> None:
        seen.append((kind, finding_ids))

    finding_changed.connect(listen)
    yield seen
    finding_changed.disconnect(listen)


def status_of(finding: Finding) -> str:
    return Finding.objects.values_list("status", flat=True).get(pk=finding.pk)


def rule(actor, *, days: int = 30, **data):
    return risk_acceptance_create(
        actor=actor,
        data={"reason": "compensating control", "expires_at": NOW + timedelta(days=days), **data},
        now=NOW,
    )


@pytest.fixture
def world(store, account_a, account_b):
    """Findings across fields: each criterion picks a different subset."""
    f = {
        "a_recon": store(account_a, type="Recon:EC2/PortProbe", severity_score=5.0),
        "a_backdoor": store(
            account_a, type="Backdoor:EC2/C&C", severity_score=8.5, resource_id="i-0aaa"
        ),
        "a_low": store(account_a, type="Recon:IAMUser/Tor", severity_score=2.0),
        "a_macie": store(
            account_a, source="macie", type="Policy:IAMUser/S3BucketPublic", native_severity="High"
        ),
        "b_recon": store(account_b, type="Recon:EC2/PortProbe", severity_score=5.0),
        "b_critical": store(account_b, type="Backdoor:EC2/C&C", severity_score=9.5),
    }
    FindingVulnerability.objects.create(finding=f["a_low"], resource_tags={"env": "lab"})
    return f


def matched(r: RiskAcceptance, world) -> set[str]:
    accepted = set(
        Finding.objects.filter(risk_acceptance=r, status="accepted").values_list("pk", flat=True)
    )
    return {name for name, f in world.items() if f.pk in accepted}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"accounts": ["333333333333"]}, {"b_recon", "b_critical"}),
        ({"sources": ["macie"]}, {"a_macie"}),
        ({"type_prefix": "Recon:EC2/"}, {"a_recon", "b_recon"}),
        ({"resource_id": "i-0aaa"}, {"a_backdoor"}),
        ({"resource_tag": "env=lab"}, {"a_low"}),
        ({"min_severity": "high"}, {"a_backdoor", "a_macie", "b_critical"}),
        ({"max_severity": "medium"}, {"a_recon", "a_low", "b_recon"}),
        ({"min_severity": "medium", "max_severity": "high", "accounts": ["222222222222"]},
         {"a_recon", "a_backdoor", "a_macie"}),
        ({"type_prefix": "Recon:", "accounts": ["222222222222"]}, {"a_recon", "a_low"}),
    ],
)  # fmt: skip
def test_a_rule_accepts_what_every_criterion_matches(alice, world, frozen, criteria, expected):
    r = rule(alice, **criteria)
    assert matched(r, world) == expected
    for name, f in world.items():
        assert status_of(f) == ("accepted" if name in expected else "open")


def test_an_ou_matches_the_accounts_its_resolver_names(alice, world, frozen, monkeypatch):
    monkeypatch.setattr(
        acceptance, "_resolver", [lambda ou: ["333333333333"] if ou == "ou-ab12-cdefgh34" else []]
    )
    assert matched(rule(alice, ou="ou-ab12-cdefgh34"), world) == {"b_recon", "b_critical"}
    assert matched(rule(alice, ou="ou-zz99-unknown1"), world) == set()


def test_an_ou_without_a_resolver_matches_nothing(alice, world, frozen, monkeypatch):
    monkeypatch.setattr(acceptance, "_resolver", [])
    assert matched(rule(alice, ou="r-ab12"), world) == set()


def test_a_one_finding_rule_accepts_that_finding_alone(alice, world, frozen):
    r = rule(alice, finding=world["a_recon"].pk)
    assert matched(r, world) == {"a_recon"}
    event = FindingEvent.objects.get(finding=world["a_recon"], kind="accepted")
    assert event.actor_name == "alice"
    assert event.changes == {"status": ["open", "accepted"], "risk_acceptance": r.pk}


def test_a_rule_never_reaches_accounts_its_creator_cannot_see(dora, world, frozen):
    r = rule(dora)  # no account named: every account dora sees, which is account_a alone
    assert r.scope_accounts == ["222222222222"]
    assert matched(r, world) == {"a_recon", "a_backdoor", "a_low", "a_macie"}
    with pytest.raises(ValidationError) as exc:
        rule(dora, accounts=["333333333333"])
    assert "accounts" in exc.value.message_dict
    with pytest.raises(ValidationError):
        rule(dora, finding=world["b_recon"].pk)


def test_only_admins_and_managers_accept_risks(bob, world, frozen):
    with pytest.raises(PermissionDenied):
        rule(bob)


def test_accepted_is_not_open_and_counted_apart(alice, world, frozen):
    before = finding_summary_from_counts(user=alice)["open"]
    rule(alice, accounts=["333333333333"])
    assert finding_summary_from_counts(user=alice)["open"] == before - 2
    assert Finding.objects.filter(status="accepted").count() == 2


def test_expiry_reopens_with_history_webhook_and_audit(
    alice, world, frozen, reopened_signals, django_capture_on_commit_callbacks
):
    r = rule(alice, days=10, type_prefix="Recon:EC2/")
    assert matched(r, world) == {"a_recon", "b_recon"}
    frozen["now"] = NOW + timedelta(days=10) - timedelta(seconds=1)
    assert risk_acceptances_expire() == 0
    assert status_of(world["a_recon"]) == "accepted"
    frozen["now"] = NOW + timedelta(days=10)
    reopened_signals.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert risk_acceptances_expire() == 2
    assert {status_of(world[n]) for n in ("a_recon", "b_recon")} == {"open"}
    assert Finding.objects.filter(risk_acceptance=r).count() == 0
    r.refresh_from_db()
    assert r.ended_at is not None and not r.is_live
    ended = FindingEvent.objects.filter(kind="acceptance_ended").order_by("finding_id")
    assert [e.finding_id for e in ended] == sorted([world["a_recon"].pk, world["b_recon"].pk])
    assert ended[0].changes["why"] == "expired"
    assert ("reopened", sorted([world["a_recon"].pk, world["b_recon"].pk])) in reopened_signals
    assert AuditEvent.objects.filter(action="risk_acceptance.expired").count() == 1
    assert risk_acceptances_expire() == 0  # safe to run twice


def test_expiry_is_applied_at_the_start_of_every_collect(alice, world, frozen):
    rule(alice, days=1, accounts=["222222222222"])
    frozen["now"] = NOW + timedelta(days=2)
    collection_start()
    assert Finding.objects.filter(status="accepted").count() == 0


def test_a_persons_later_status_wins_over_expiry(alice, world, frozen):
    from findings.services.workflow import finding_workflow_update

    rule(alice, days=1, finding=world["a_recon"].pk)
    finding_workflow_update(finding=world["a_recon"], actor=alice, status="resolved")
    frozen["now"] = NOW + timedelta(days=2)
    risk_acceptances_expire()
    assert status_of(world["a_recon"]) == "resolved"


def test_newly_collected_findings_matching_a_live_rule_are_accepted(
    alice, store, account_a, world, frozen
):
    rule(alice, type_prefix="CryptoCurrency:")
    new = store(account_a, type="CryptoCurrency:EC2/BitcoinTool.B")
    other = store(account_a, type="Trojan:EC2/DropPoint")
    assert status_of(new) == "accepted"
    assert status_of(other) == "open"


def test_deleting_a_rule_reopens_its_findings(alice, world, frozen):
    r = rule(alice, sources=["macie"])
    assert risk_acceptance_delete(actor=alice, rule=r) == 1
    assert status_of(world["a_macie"]) == "open"
    assert not RiskAcceptance.objects.filter(pk=r.pk).exists()
    assert AuditEvent.objects.filter(action="risk_acceptance.deleted").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x\x00y"}, "reason"),
        ({"reason": "x" * 4001}, "reason"),
        ({"expires_at": NOW - timedelta(seconds=1)}, "expires_at"),
        ({"expires_at": NOW + timedelta(days=366)}, "expires_at"),
        ({"expires_at": NOW.replace(tzinfo=None) + timedelta(days=1)}, "expires_at"),  # naive
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"accounts": ["12345"]}, "accounts"),
        ({"accounts": "222222222222"}, "accounts"),
        ({"sources": ["cloudtrail"]}, "sources"),
        ({"ou": "ou-<script>"}, "ou"),
        ({"resource_tag": "no-equals"}, "resource_tag"),
        ({"min_severity": "catastrophic"}, "min_severity"),
        ({"min_severity": "critical", "max_severity": "low"}, "max_severity"),
        ({"finding": "1; DROP TABLE"}, "finding"),
        ({"finding": 2**70}, "finding"),
        ({"approved_by": "nobody"}, "approved_by"),
    ],
)
def test_hostile_values_are_refused_naming_the_field(alice, world, frozen, data, field):
    values = {"reason": "ok", "expires_at": NOW + timedelta(days=5), **data}
    with pytest.raises(ValidationError) as exc:
        risk_acceptance_create(actor=alice, data=values, now=NOW)
    assert field in exc.value.message_dict
    assert not RiskAcceptance.objects.exists()
    assert not Finding.objects.filter(status="accepted").exists()


def test_the_approver_must_be_an_admin_or_manager_who_sees_the_accounts(
    alice, bob, dora, world, frozen
):
    with pytest.raises(ValidationError):
        rule(alice, approved_by="bob")  # an Analyst
    with pytest.raises(ValidationError):
        rule(alice, approved_by="dora")  # sees account_a only; the rule reaches both
    r = rule(alice, approved_by="dora", accounts=["222222222222"])
    assert (r.created_by_name, r.approved_by_name) == ("alice", "dora")


# The API ------------------------------------------------------------------------------------


def expiry(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_api_creates_lists_and_deletes_rules(alice, world):
    client = bearer_client(alice, can_write=True)
    response = client.post(
        "/api/v1/risk-acceptances/",
        {"reason": "<b>ok</b>", "expires_at": expiry(), "type_prefix": "Recon:EC2/"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reason"] == "<b>ok</b>"  # verbatim; escaping is the renderer's
    assert body["matched"] == 2
    assert (body["created_by"], body["approved_by"]) == ("alice", "alice")
    assert set(body) >= {
        "id", "reason", "expires_at", "accounts", "ou", "sources", "type_prefix", "resource_id",
        "min_severity", "max_severity", "finding", "created_by", "approved_by", "created_at",
        "matched",
    }  # fmt: skip
    listed = client.get("/api/v1/risk-acceptances/").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]
    filtered = client.get("/api/v1/findings/", {"status": "accepted"}).json()["results"]
    assert {f["id"] for f in filtered} == {world["a_recon"].pk, world["b_recon"].pk}
    assert all(f["sla_due"] is None for f in filtered)
    assert client.delete(f"/api/v1/risk-acceptances/{body['id']}/").status_code == 204
    assert not Finding.objects.filter(status="accepted").exists()


def test_api_scoping_two_people_apart(alice, dora, world, account_b):
    theirs = (
        bearer_client(alice, can_write=True)
        .post(
            "/api/v1/risk-acceptances/",
            {"reason": "staging only", "expires_at": expiry(), "accounts": ["333333333333"]},
            format="json",
        )
        .json()
    )
    mine = bearer_client(dora, can_write=True).post(
        "/api/v1/risk-acceptances/", {"reason": "mine", "expires_at": expiry()}, format="json"
    )
    assert mine.status_code == 201
    assert mine.json()["matched"] == 4
    dora_client = bearer_client(dora, can_write=True)
    assert [r["id"] for r in dora_client.get("/api/v1/risk-acceptances/").json()["results"]] == [
        mine.json()["id"]
    ]
    assert dora_client.get(f"/api/v1/risk-acceptances/{theirs['id']}/").status_code == 404
    assert dora_client.delete(f"/api/v1/risk-acceptances/{theirs['id']}/").status_code == 404
    refused = dora_client.post(
        "/api/v1/risk-acceptances/",
        {"reason": "x", "expires_at": expiry(), "accounts": ["333333333333"]},
        format="json",
    )
    assert refused.status_code == 400 and "accounts" in refused.json()
    alice_ids = {
        r["id"] for r in bearer_client(alice).get("/api/v1/risk-acceptances/").json()["results"]
    }
    assert alice_ids == {theirs["id"], mine.json()["id"]}


def test_api_charlie_sees_nothing(charlie, alice, world):
    bearer_client(alice, can_write=True).post(
        "/api/v1/risk-acceptances/", {"reason": "x", "expires_at": expiry()}, format="json"
    )
    assert bearer_client(charlie).get("/api/v1/risk-acceptances/").json()["results"] == []


def test_api_writes_need_a_write_token_of_an_admin_or_manager(alice, bob, world):
    data = {"reason": "x", "expires_at": expiry()}
    assert (
        bearer_client(alice).post("/api/v1/risk-acceptances/", data, format="json").status_code
        == 403
    )
    assert (
        bearer_client(bob, can_write=True)
        .post("/api/v1/risk-acceptances/", data, format="json")
        .status_code
        == 403
    )
    assert not RiskAcceptance.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "x"},
        {"expires_at": "2030-01-01T00:00:00Z"},
        {"reason": "x", "expires_at": "not a time"},
        {"reason": "x", "expires_at": "2001-01-01T00:00:00Z"},
        {"reason": "x\x00", "expires_at": "+30"},
        {"reason": "x", "expires_at": "+30", "accounts": ["<script>"]},
        {"reason": "x", "expires_at": "+30", "accounts": "222222222222"},
        {"reason": "x", "expires_at": "+30", "sources": ["<img>"]},
        {"reason": "x", "expires_at": "+30", "finding": -1},
        {"reason": "x", "expires_at": "+30", "finding": "abc"},
        {"reason": "x", "expires_at": "+30", "min_severity": "'; DROP"},
        {"reason": "x", "expires_at": "+400"},
        ["not", "an", "object"],
    ],
)
def test_api_hostile_bodies_answer_400(alice, world, data):
    if isinstance(data, dict) and data.get("expires_at", "").startswith("+"):
        data = {**data, "expires_at": expiry(int(data["expires_at"][1:]))}
    response = bearer_client(alice, can_write=True).post(
        "/api/v1/risk-acceptances/", data, format="json"
    )
    assert response.status_code == 400, response.content
    assert not RiskAcceptance.objects.exists()
