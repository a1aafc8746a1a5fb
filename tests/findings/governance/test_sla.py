"""SLAs: due times at their boundaries, the API's fields and filter, Admins' changes audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from findings.governance.sla import (
    DEFAULT_SLA_DAYS,
    mttr_days,
    sla_breached_counts,
    sla_breached_q,
    sla_days,
    sla_days_set,
    with_sla,
    with_sla_due,
)
from findings.models import Finding, FindingEvent
from tests.conftest import bearer_client

SEEN = datetime(2024, 5, 1, 12, tzinfo=UTC)
SCORE = {"critical": 9.5, "high": 8.0, "medium": 5.0, "low": 2.0}


def one(store, account, severity: str, **overrides):
    return store(account, severity_score=SCORE[severity], first_seen=SEEN, **overrides)


def breached_at(moment: datetime) -> set[int]:
    return set(Finding.objects.filter(sla_breached_q(now=moment)).values_list("pk", flat=True))


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_due_is_first_seen_plus_the_default_days_and_breached_only_after_it(
    store, account_a, severity
):
    finding = one(store, account_a, severity)
    due = SEEN + timedelta(days=DEFAULT_SLA_DAYS[severity])
    row = with_sla(Finding.objects.filter(pk=finding.pk), now=due).get()
    assert row.severity == severity
    assert row.sla_due == due
    assert row.sla_breached is False  # at the due time itself: not yet late
    assert breached_at(due) == set()
    late = due + timedelta(microseconds=1)
    assert with_sla(Finding.objects.filter(pk=finding.pk), now=late).get().sla_breached is True
    assert breached_at(late) == {finding.pk}


def test_breached_counts_count_what_the_breached_filter_selects(store, account_a, account_b):
    for severity, days in DEFAULT_SLA_DAYS.items():
        one(store, account_a, severity)  # first seen SEEN
        store(account_b, severity_score=SCORE[severity], first_seen=SEEN + timedelta(days=days))
    archived = one(store, account_a, "critical", aws_state="archived")
    assert archived.pk not in breached_at(SEEN + timedelta(days=400))
    for moment in (
        SEEN,
        SEEN + timedelta(days=8),
        SEEN + timedelta(days=95),
        SEEN + timedelta(days=400),
    ):
        late = Finding.objects.filter(sla_breached_q(now=moment))
        expected = {
            a: late.filter(account__account_id=a).count()
            for a in (account_a.account_id, account_b.account_id)
        }
        rows = sla_breached_counts(Finding.objects.all(), by=("account__account_id",), now=moment)
        assert {r["account__account_id"]: r["n"] for r in rows} == {
            a: n for a, n in expected.items() if n
        }
    only_b = Finding.objects.filter(account=account_b)
    rows = sla_breached_counts(
        only_b, by=("account__account_id", "severity"), now=SEEN + timedelta(days=200)
    )
    assert sorted((r["severity"], r["n"]) for r in rows) == [
        ("critical", 1),
        ("high", 1),
        ("medium", 1),
    ]


def test_defaults_are_the_contracts():
    assert DEFAULT_SLA_DAYS == {"critical": 7, "high": 30, "medium": 90, "low": 180}


def test_no_due_for_informational_nor_for_findings_not_open(store, account_a):
    info = one(store, account_a, "low")
    Finding.objects.filter(pk=info.pk).update(severity="informational", severity_rank=0)
    resolved = one(store, account_a, "critical")
    archived = one(store, account_a, "critical", aws_state="archived")
    Finding.objects.filter(pk=resolved.pk).update(status="resolved")
    rows = {f.pk: f for f in with_sla(Finding.objects.all())}
    for pk in (info.pk, resolved.pk, archived.pk):
        assert rows[pk].sla_due is None
        assert rows[pk].sla_breached is False
    assert breached_at(datetime(2030, 1, 1, tzinfo=UTC)) == set()


def test_an_admins_days_apply_at_once_and_are_audited(store, account_a, alice):
    finding = one(store, account_a, "high")
    assert sla_days_set(actor=alice, days={"high": "3"})["high"] == 3
    assert with_sla(Finding.objects.filter(pk=finding.pk)).get().sla_due == SEEN + timedelta(3)
    assert breached_at(SEEN + timedelta(days=3, seconds=1)) == {finding.pk}
    event = AuditEvent.objects.get(action="sla.changed")
    assert event.actor_name == alice.username
    assert event.changes == {"high": {"from": 30, "to": 3}}
    sla_days_set(actor=alice, days={"high": 3})  # nothing changes: nothing recorded
    assert AuditEvent.objects.filter(action="sla.changed").count() == 1
    assert sla_days()["critical"] == 7


@pytest.mark.parametrize(
    "days",
    [
        {"high": 0},
        {"high": -5},
        {"high": 3651},
        {"high": "1e3"},
        {"high": "7\x00"},
        {"high": "<script>"},
        {"high": True},
        {"informational": 5},
        {"<b>x</b>": 5},
    ],
)
def test_hostile_days_are_refused_naming_the_severity(db, alice, days):
    with pytest.raises(ValidationError) as exc:
        sla_days_set(actor=alice, days=days)
    assert list(exc.value.message_dict) == [next(iter(days))[:40]]
    assert sla_days() == DEFAULT_SLA_DAYS


def test_api_has_sla_fields_and_filters_by_breach(store, account_a, account_b, alice, bob):
    late = one(store, account_a, "critical")
    fresh = store(account_a, severity_score=9.5, first_seen=datetime.now(UTC))
    other = one(store, account_b, "critical")
    body = bearer_client(alice).get("/api/v1/findings/", {"ordering": "id"}).json()
    rows = {row["id"]: row for row in body["results"]}
    assert rows[late.pk]["sla_due"] == "2024-05-08T12:00:00Z"
    assert rows[late.pk]["sla_breached"] is True
    assert rows[fresh.pk]["sla_breached"] is False
    detail = bearer_client(alice).get(f"/api/v1/findings/{late.pk}/").json()
    assert (detail["sla_due"], detail["sla_breached"]) == ("2024-05-08T12:00:00Z", True)

    breached = bearer_client(alice).get("/api/v1/findings/", {"sla_breached": "true"}).json()
    assert {row["id"] for row in breached["results"]} == {late.pk, other.pk}
    not_breached = bearer_client(alice).get("/api/v1/findings/", {"sla_breached": "false"}).json()
    assert {row["id"] for row in not_breached["results"]} == {fresh.pk}
    # bob sees account_a only
    scoped = bearer_client(bob).get("/api/v1/findings/", {"sla_breached": "true"}).json()
    assert {row["id"] for row in scoped["results"]} == {late.pk}


@pytest.mark.parametrize("value", ["maybe", "<script>", "1\x00", "tru"])
def test_a_bad_sla_breached_value_is_a_400_naming_it(alice, value, db):
    response = bearer_client(alice).get("/api/v1/findings/", {"sla_breached": value})
    assert response.status_code == 400
    assert "sla_breached" in response.json()


def test_the_findings_page_filters_and_shows_breaches(store, account_a, alice, client):
    late = one(store, account_a, "critical")
    fresh = store(account_a, severity_score=9.5, first_seen=datetime.now(UTC), title="fresh one")
    client.force_login(alice)
    page = client.get("/findings/", {"sla_breached": "true"}).content.decode()
    assert f'data-finding="{late.pk}"' in page
    assert f'data-finding="{fresh.pk}"' not in page
    assert "SLA breached: due" in page
    assert client.get("/findings/", {"sla_breached": "nope"}).status_code == 400


def test_openapi_documents_the_sla_fields(db, client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    finding = schema["components"]["schemas"]["Finding"]["properties"]
    assert finding["sla_due"]["type"] == "string"
    assert finding["sla_due"]["format"] == "date-time"
    assert finding["sla_due"]["nullable"] is True
    assert finding["sla_breached"]["type"] == "boolean"
    names = {p["name"] for p in schema["paths"]["/api/v1/findings/"]["get"]["parameters"]}
    assert "sla_breached" in names


def resolve(finding, at: datetime, *, how: str = "status") -> None:
    """Resolve `finding` at `at` as our history records it (a person, or AWS archiving it)."""
    if how == "status":
        Finding.objects.filter(pk=finding.pk).update(status="resolved")
        FindingEvent.objects.create(
            finding=finding, kind="status_changed", at=at, changes={"status": ["open", "resolved"]}
        )
    else:
        Finding.objects.filter(pk=finding.pk).update(aws_state="archived")
        FindingEvent.objects.create(
            finding=finding, kind="archived", at=at, changes={"aws_state": ["active", "archived"]}
        )


def test_mttr_is_the_mean_of_first_seen_to_resolved_per_severity_and_account(
    store, account_a, account_b
):
    c1, c2 = one(store, account_a, "critical"), one(store, account_b, "critical")
    h1 = one(store, account_a, "high")
    one(store, account_a, "medium")  # still open: not counted
    suppressed = one(store, account_a, "low")
    resolve(c1, SEEN + timedelta(days=2))
    resolve(c2, SEEN + timedelta(days=4), how="archive")
    resolve(h1, SEEN + timedelta(hours=36))
    resolve(suppressed, SEEN + timedelta(days=1))
    Finding.objects.filter(pk=suppressed.pk).update(status="suppressed")  # a decision, not a fix
    findings = Finding.objects.all()
    assert mttr_days(findings) == {
        "critical": 3.0, "high": 1.5, "medium": None, "low": None, "informational": None
    }  # fmt: skip
    assert mttr_days(findings, by="account__account_id") == {
        "222222222222": 1.75, "333333333333": 4.0
    }  # fmt: skip
    window = mttr_days(
        findings,
        resolved_after=SEEN + timedelta(days=3),
        resolved_before=SEEN + timedelta(days=5),
    )
    assert window["critical"] == 4.0 and window["high"] is None


def test_mttr_reads_the_last_resolution_of_a_reopened_finding(store, account_a):
    f = one(store, account_a, "high")
    resolve(f, SEEN + timedelta(days=1))
    FindingEvent.objects.create(finding=f, kind="reopened", at=SEEN + timedelta(days=2))
    resolve(f, SEEN + timedelta(days=5))
    assert mttr_days(Finding.objects.all())["high"] == 5.0


def test_the_lists_sla_due_built_once_reads_as_the_plain_expression(store, account_a, alice):
    """The API list's query is built once per process, its sla_due compiled once (CompiledOnce):
    the same SQL and values as the plain expression, an Admin's change applies at once, and the
    query made a subquery (its table relabelled) compiles afresh."""
    from django.db.models import OuterRef, Subquery

    finding = one(store, account_a, "high")
    once = with_sla_due(Finding.objects.all(), built_once=True).values("id", "sla_due")
    plain = with_sla_due(Finding.objects.all()).values("id", "sla_due")
    for _ in range(2):  # the second compilation reuses the first's SQL
        assert str(once.all().query) == str(plain.query)
        assert (
            list(once.all()) == list(plain) == [{"id": finding.pk, "sla_due": SEEN + timedelta(30)}]
        )
    sla_days_set(actor=alice, days={"high": "3"})
    assert once.all().get()["sla_due"] == SEEN + timedelta(3)

    def nested(rows):
        return Finding.objects.annotate(
            due=Subquery(rows.filter(pk=OuterRef("pk")).values("sla_due")[:1])
        ).values("due")

    assert str(nested(once).query) == str(nested(plain).query)
    assert list(nested(once)) == [{"due": SEEN + timedelta(3)}]
