"""The change feed against concurrent writers, on PostgreSQL: a poller that follows `next` to null and
later polls `resume` never misses a change and never sees one twice.

Writers run in threads with their own database connections and hold each transaction open for a
while after taking their change time, so commits land late and out of step with the poller, which
is the trap docs/architecture.md (Change feed) explains: with times from the application clock, a row committed late behind a
position the poller has passed would be missed. findings.services.clock makes times follow commit
order; this test is the proof.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from findings.models import Finding
from findings.services import finding_upsert_many
from findings.services.workflow import finding_workflow_update
from tests.conftest import bearer_client
from tests.findings.conftest import record

LIST = "/api/v1/findings/"
WRITERS, WRITES_EACH = 4, 15


class Poller:
    """A ticketing tool's poller: follows `next` to null, keeps the last `resume`, polls it later."""

    def __init__(self, client, since: str) -> None:
        self.client = client
        self.url: str = LIST
        self.params: dict | None = {"updated_since": since, "page_size": 3}
        self.seen: list[tuple[str, int]] = []  # (updated_at, id) in the order received
        self.last: dict[int, str] = {}  # id -> the updated_at last received

    def poll(self) -> None:
        url, params = self.url, self.params
        while url:
            response = self.client.get(url, params)
            assert response.status_code == 200, response.content
            data = response.json()
            for row in data["results"]:
                self.seen.append((row["updated_at"], row["id"]))
                self.last[row["id"]] = row["updated_at"]
            self.url, self.params = data["resume"], None
            url, params = data["next"], None


def _writer(n: int, pks: list[int], account, actor, written: list, errors: list) -> None:
    """Create, change (as AWS) and triage findings, each transaction committing late."""
    rng = random.Random(n)
    try:
        for i in range(WRITES_EACH):
            with transaction.atomic():
                choice = i % 3
                if choice == 0:
                    recs = [record(title=f"w{n}-{i}-{k}") for k in range(rng.randint(1, 3))]
                    finding_upsert_many(records=recs, default_account=account)
                    ids = [r.source_id for r in recs]
                    touched = list(Finding.objects.filter(source_id__in=ids))
                elif choice == 1:
                    finding = Finding.objects.get(pk=rng.choice(pks))
                    rec = record(source_id=finding.source_id, title=f"aws {n}-{i}")
                    finding_upsert_many(records=[rec], default_account=account)
                    touched = [Finding.objects.get(pk=finding.pk)]
                else:
                    finding = Finding.objects.get(pk=rng.choice(pks))
                    finding_workflow_update(finding=finding, actor=actor, note=f"note {n}-{i}")
                    touched = [Finding.objects.get(pk=finding.pk)]
                time.sleep(rng.uniform(0.005, 0.03))  # commit late, after the change time
            written.extend((f.pk, f.updated_at) for f in touched)
            time.sleep(rng.uniform(0, 0.03))  # and leave the poller room between writes
    except Exception as exc:  # reported by the test, never swallowed
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_poller_never_misses_nor_repeats_a_change_under_concurrent_writers(
    postgres, account_a, bob
):
    seeds = [
        Finding.objects.get(source_id=r.source_id)
        for r in [record() for _ in range(8)]
        if finding_upsert_many(records=[r], default_account=account_a) or True
    ]
    since = (min(f.updated_at for f in seeds) - timedelta(seconds=1)).isoformat()
    poller = Poller(bearer_client(bob), since)
    written: list = []
    errors: list = []
    threads = [
        threading.Thread(
            target=_writer, args=(n, [f.pk for f in seeds], account_a, bob, written, errors)
        )
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    polls = 0
    while any(t.is_alive() for t in threads):
        poller.poll()
        polls += 1
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    poller.poll()  # later: resume picks up whatever committed since
    assert not errors, errors
    assert polls >= 3, polls  # the poller really ran while the writers wrote

    # Never repeats: each (updated_at, id) once, in strictly increasing feed order.
    positions = [(Finding._meta.get_field("updated_at").to_python(u), i) for u, i in poller.seen]
    assert positions == sorted(set(positions))
    # Never misses: every finding's last change is what the poller last received.
    final = {f.pk: f.updated_at for f in Finding.objects.all()}
    received = {
        pk: Finding._meta.get_field("updated_at").to_python(u) for pk, u in poller.last.items()
    }
    assert received == final
    # And every change a writer committed was received, or superseded by a later one received.
    for pk, moment in written:
        assert received[pk] >= moment
    assert len(written) >= WRITERS * WRITES_EACH


def _hold_a_change(account, started: threading.Event, release: threading.Event, errors: list):
    """Writer A: takes its change time, then keeps its transaction open until released."""
    try:
        with transaction.atomic():
            finding_upsert_many(records=[record(title="late")], default_account=account)
            started.set()
            assert release.wait(10)
    except Exception as exc:  # reported by the test
        errors.append(exc)
    finally:
        connection.close()


def _change(account, done: threading.Event, errors: list):
    """Writer B: one change, started while A holds its transaction open."""
    try:
        finding_upsert_many(records=[record(title="early")], default_account=account)
        done.set()
    except Exception as exc:  # reported by the test
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_not_hidden_behind_a_later_one(postgres, account_a, bob):
    """The trap, step by step: A takes its time and commits late; B starts after A. B waits for
    A (the change clock's lock), so the poller can never see B before A and pass A's position."""
    poller = Poller(bearer_client(bob), "2000-01-01T00:00:00Z")
    poller.poll()
    started, release, done, errors = threading.Event(), threading.Event(), threading.Event(), []
    a = threading.Thread(target=_hold_a_change, args=(account_a, started, release, errors))
    a.start()
    assert started.wait(10)
    b = threading.Thread(target=_change, args=(account_a, done, errors))
    b.start()
    assert not done.wait(0.5)  # B waits for A's commit
    poller.poll()
    assert poller.seen == []  # nothing committed yet: nothing to see, nothing passed
    release.set()
    a.join()
    b.join()
    poller.poll()
    assert not errors, errors
    titles = [Finding.objects.get(pk=pk).title for _u, pk in poller.seen]
    assert titles == ["late", "early"]


def test_feed_pages_over_ties_start_at_the_position(postgres, account_a, bob):
    """Pages over rows sharing one updated_at hold every row once, in (updated_at, id) order; and
    the query starts at the position with `(updated_at, id) > (...)`, which PostgreSQL reads from
    the (updated_at, id) index (the OR alone read and dropped every row before it: at 1,000,000
    findings, 50 ms a page 1,000 pages deep against 1 ms)."""
    finding_upsert_many(records=[record() for _ in range(7)], default_account=account_a)
    tied = Finding.objects.order_by("id").values_list("updated_at", flat=True).first()
    Finding.objects.update(updated_at=tied)
    client = bearer_client(bob)
    url, params, seen = LIST, {"updated_since": "2000-01-01T00:00:00Z", "page_size": 3}, []
    with CaptureQueriesContext(connection) as queries:
        while url:
            data = client.get(url, params).json()
            seen += [row["id"] for row in data["results"]]
            url, params = data["next"], None
    assert seen == sorted(Finding.objects.values_list("id", flat=True))
    bounded = [
        q["sql"]
        for q in queries
        if '("findings_finding"."updated_at", "findings_finding"."id") >' in q["sql"]
    ]
    assert len(bounded) == 2  # the second and third pages
