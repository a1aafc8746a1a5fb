"""Storing findings: natural key, hash compare, history, the change clock, daily counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from findings.choices import AwsState, FindingEventKind, FindingStatus
from findings.models import Finding, FindingChangeClock, FindingDailyCount, FindingEvent
from findings.services import (
    finding_change_time,
    finding_history_snapshot,
    finding_upsert_many,
    findings_mark_gone,
)
from tests.factories import AwsAccountFactory
from tests.findings.conftest import record


def test_new_changed_and_unchanged_are_counted_and_only_changes_written(account_a):
    first, second = record(), record()
    counts = finding_upsert_many(records=[first, second], default_account=account_a)
    assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)
    stamps = dict(Finding.objects.values_list("source_id", "updated_at"))
    changed = record(source_id=second.source_id, title="renamed", raw={"v": 2})
    counts = finding_upsert_many(records=[first, changed], default_account=account_a)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    after = dict(Finding.objects.values_list("source_id", "updated_at"))
    assert after[first.source_id] == stamps[first.source_id]
    assert after[second.source_id] > stamps[second.source_id]
    event = FindingEvent.objects.get(kind=FindingEventKind.AWS_UPDATED)
    assert event.changes == {"title": [second.title, "renamed"]}


def test_the_same_key_twice_in_one_batch_is_stored_once(account_a):
    one = record()
    counts = finding_upsert_many(records=[one, one], default_account=account_a)
    assert counts.new == 1 and Finding.objects.count() == 1


def test_collection_never_touches_our_workflow(account_a, alice):
    one = record()
    finding_upsert_many(records=[one], default_account=account_a)
    Finding.objects.update(status=FindingStatus.ACKNOWLEDGED, assignee=alice, ticket_ref="SEC-1")
    finding_upsert_many(
        records=[record(source_id=one.source_id, aws_state="archived")], default_account=account_a
    )
    finding = Finding.objects.get()
    assert (finding.status, finding.assignee, finding.ticket_ref) == (
        "acknowledged",
        alice,
        "SEC-1",
    )
    assert finding.aws_state == AwsState.ARCHIVED


def test_a_finding_belongs_to_the_account_aws_names_when_we_know_it(account_a, account_b):
    # A delegated GuardDuty administrator lists its members' findings too.
    admin = AwsAccountFactory(account_id="111111111111")
    finding_upsert_many(
        records=[record(account_id="222222222222"), record(account_id="555555555555")],
        default_account=admin,
    )
    owners = set(Finding.objects.values_list("account__account_id", flat=True))
    assert owners == {"222222222222", "111111111111"}


def test_overlong_strings_are_clipped_in_columns_but_kept_in_the_payload(account_a):
    long = "x" * 5000
    finding_upsert_many(
        records=[record(resource_id=long, domain=long, raw={"Domain": long})],
        default_account=account_a,
    )
    finding = Finding.objects.get()
    assert len(finding.resource_id) == 1024 and finding.raw["Domain"] == long


def test_reopen_needs_more_activity_while_active(account_a):
    one = record(service_count=3)
    finding_upsert_many(records=[one], default_account=account_a)
    Finding.objects.update(status=FindingStatus.RESOLVED)
    finding_upsert_many(
        records=[record(source_id=one.source_id, service_count=4, aws_state="archived")],
        default_account=account_a,
    )
    assert Finding.objects.get().status == FindingStatus.RESOLVED  # archived: AWS says ignore it
    finding_upsert_many(
        records=[record(source_id=one.source_id, service_count=5)], default_account=account_a
    )
    assert Finding.objects.get().status == FindingStatus.OPEN
    assert FindingEvent.objects.filter(kind=FindingEventKind.REOPENED).count() == 1


def test_mark_gone_only_touches_the_named_target(account_a, account_b):
    a, b = record(), record(account_id="333333333333")
    finding_upsert_many(records=[a], default_account=account_a)
    finding_upsert_many(records=[b], default_account=account_b)
    n = findings_mark_gone(
        source="guardduty",
        account=account_a,
        region="us-east-1",
        source_ids=[a.source_id, b.source_id],
    )
    assert n == 1
    states = dict(Finding.objects.values_list("source_id", "aws_state"))
    assert states == {a.source_id: "gone", b.source_id: "active"}
    assert (
        findings_mark_gone(
            source="guardduty", account=account_a, region="us-east-1", source_ids=[a.source_id]
        )
        == 0
    )  # already gone: no second event, updated_at unchanged


def test_the_change_clock_never_goes_back(db, monkeypatch):
    with transaction.atomic():
        first = finding_change_time()
    later_clock = first - timedelta(hours=1)  # a worker whose clock is an hour behind
    monkeypatch.setattr(timezone, "now", lambda: later_clock)
    with transaction.atomic():
        second = finding_change_time()
    assert second > first
    assert FindingChangeClock.objects.get().last == second


def test_the_change_clock_needs_a_transaction(transactional_db):
    with pytest.raises(transaction.TransactionManagementError):
        finding_change_time()


def test_the_change_clock_recreates_its_row(db):
    FindingChangeClock.objects.all().delete()
    with transaction.atomic():
        assert finding_change_time()
    assert FindingChangeClock.objects.count() == 1


def test_the_daily_snapshot_is_idempotent_and_counts_only_open(account_a, account_b):
    finding_upsert_many(
        records=[
            record(severity_score=9.1),
            record(severity_score=9.5),
            record(severity_score=5.0, aws_state="archived"),
            record(severity_score=2.0),
        ],
        default_account=account_a,
    )
    finding_upsert_many(records=[record(account_id="333333333333")], default_account=account_b)
    Finding.objects.filter(severity_score=2.0).update(status=FindingStatus.FALSE_POSITIVE)
    day = date(2024, 5, 14)
    finding_history_snapshot(day=day)
    finding_history_snapshot(day=day)
    rows = {
        (r.account.account_id, r.source, r.severity, r.category, r.count)
        for r in FindingDailyCount.objects.filter(day=day)
    }
    assert rows == {
        ("222222222222", "guardduty", "critical", "Identity enumeration", 2),
        ("333333333333", "guardduty", "medium", "Identity enumeration", 1),
    }
    Finding.objects.filter(severity_score=9.1).update(status=FindingStatus.RESOLVED)
    finding_history_snapshot(day=day, accounts=[account_a])
    assert FindingDailyCount.objects.get(day=day, account=account_a).count == 1
    assert FindingDailyCount.objects.get(day=day, account=account_b).count == 1
    finding_history_snapshot(day=day + timedelta(days=1))
    assert FindingDailyCount.objects.filter(day=day).count() == 2  # earlier days are kept


def test_the_snapshot_on_postgresql_reads_the_kept_counts_in_fixed_queries(
    postgres, account_a, account_b, django_assert_num_queries
):
    """The snapshot after each collect costs the same at a million findings as at ten: it sums the
    open counts PostgreSQL keeps (a row per type) instead of counting the findings, and gives
    the same numbers as counting them; a deleted account's counts are left out."""
    types = [f"Recon:EC2/Type{k}" for k in range(5)]
    finding_upsert_many(
        records=[record(type=types[k % 5], severity_score=1.0 + k % 9) for k in range(60)],
        default_account=account_a,
    )
    finding_upsert_many(records=[record(account_id="333333333333")], default_account=account_b)
    Finding.objects.filter(severity_score=2.0).update(status=FindingStatus.RESOLVED)
    day = date(2024, 5, 14)
    with django_assert_num_queries(
        6
    ):  # its accounts locked; the counts; savepoint, delete, insert, release
        finding_history_snapshot(day=day, accounts=[account_a])
    live = {}
    for f in Finding.objects.open().filter(account=account_a):
        key = (f.source, f.severity, f.category or "")
        live[key] = live.get(key, 0) + 1
    kept = {
        (r.source, r.severity, r.category): r.count
        for r in FindingDailyCount.objects.filter(day=day, account=account_a)
    }
    assert kept == live and sum(kept.values()) == 60 - 7
    gone = AwsAccountFactory(account_id="444444444444")
    finding_upsert_many(records=[record(account_id="444444444444")], default_account=gone)
    gone.delete()
    assert finding_history_snapshot(day=day) == len(kept) + 1  # account_b's row, not gone's


def test_writers_take_change_times_in_commit_order_on_postgresql(postgres, transactional_db):
    """A writer that starts later waits for the clock's row: its time is later and it commits later,
    so a change feed never sees a later updated_at committed before an earlier one."""
    import threading
    import time

    from django.db import connection

    order: list[tuple[str, object]] = []
    holding = threading.Event()

    def first() -> None:
        with transaction.atomic():
            stamp = finding_change_time()
            holding.set()
            time.sleep(0.5)
            order.append(("first commits", stamp))
        connection.close()

    def second() -> None:
        holding.wait()
        with transaction.atomic():
            stamp = finding_change_time()
            order.append(("second stamped", stamp))
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [name for name, _ in order] == ["first commits", "second stamped"]
    assert order[1][1] > order[0][1]
