"""Workers failing mid-run: SIGKILL, beat firing twice, the time limit. Real Celery worker
processes on Redis and PostgreSQL, AWS from the emulator over HTTP."""

from __future__ import annotations

import os
import signal
from typing import Any

from accounts.collection import Target, target_lock
from accounts.models import CollectionRun
from accounts.tasks import collect_source_task, collect_target_task
from findings.models import Finding
from findings.services.sync import STORE_BATCH
from tests.faults.conftest import (
    PROD,
    assert_findings_agree,
    guardduty_findings,
    wait_for,
)


def runs(**filters: Any) -> list[CollectionRun]:
    return list(CollectionRun.objects.filter(account__account_id=PROD, **filters).order_by("id"))


def test_a_worker_killed_mid_sync_is_redelivered_and_its_run_interrupted(
    start_worker, prod, aws_world, aws_server
):
    n = STORE_BATCH + 300  # two stores: the first is committed before the kill
    ids = guardduty_findings(aws_world, n)
    aws_server.slow("guardduty", "GetFindings", seconds=0.15)
    start_worker(concurrency=1)
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")

    wait_for(
        lambda: Finding.objects.count() >= STORE_BATCH,
        timeout=90,
        what="the first batch to be stored",
    )
    victim = runs(outcome="")[0]
    assert victim.pid and victim.pid != os.getpid()
    os.kill(victim.pid, signal.SIGKILL)  # the pool process running the task

    finished = wait_for(
        lambda: runs(outcome="ok"), timeout=120, what="the redelivered task to finish"
    )
    victim.refresh_from_db()
    assert victim.outcome == "interrupted"
    assert f"pid {victim.pid}" in victim.error and "is gone" in victim.error
    assert len(finished) == 1 and finished[0].pid != victim.pid
    # what the killed run stored stays; the redelivered run re-read it all (no cursor was stored)
    assert finished[0].new + finished[0].updated + finished[0].unchanged == n
    assert not runs(outcome="")
    assert_findings_agree(ids)
    # the lock was released by the run that finished
    assert target_lock(Target(prod, "us-east-1", "guardduty")).acquire()


def test_beat_firing_twice_does_the_work_once_and_skips_the_other(
    start_worker, prod, aws_world, aws_server
):
    ids = guardduty_findings(aws_world, 120)
    aws_server.slow("guardduty", "GetFindings", seconds=0.5)
    start_worker(concurrency=3)
    collect_source_task.delay("guardduty")
    collect_source_task.delay("guardduty")

    done = wait_for(
        lambda: len(runs(outcome__gt="")) == 2 and runs(outcome__gt=""),
        timeout=90,
        what="both scheduled runs to end",
    )
    outcomes = sorted(run.outcome for run in done)
    assert outcomes == ["ok", "skipped"], [(r.outcome, r.error) for r in done]
    ok = next(run for run in done if run.outcome == "ok")
    skipped = next(run for run in done if run.outcome == "skipped")
    assert ok.new == 120
    assert "in progress" in skipped.error and skipped.calls == 0
    assert_findings_agree(ids)


def test_a_task_past_its_time_limit_fails_with_the_reason_and_frees_the_lock(
    start_worker, prod, aws_world, aws_server
):
    ids = guardduty_findings(aws_world, 60)
    aws_server.slow("guardduty", "GetFindings", seconds=8, times=1)
    # soft limit 5 s (the hard limit 6 s): the first GetFindings alone takes 8 s
    worker = start_worker(concurrency=2, WATCHPOST_TASK_TIME_LIMIT="6")
    # as beat does: the fan-out runs on the worker, whose limits its messages carry
    collect_source_task.delay("guardduty")

    failed = wait_for(lambda: runs(outcome__gt=""), timeout=60, what="the run to end")[0]
    assert failed.outcome == "failed", worker.text()
    assert "time limit reached" in failed.error and "WATCHPOST_TASK_TIME_LIMIT" in failed.error
    assert Finding.objects.count() == 0
    # the lock is free, and the next run (no fault left) collects everything
    lock = target_lock(Target(prod, "us-east-1", "guardduty"))
    assert lock.acquire()
    lock.release()
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")
    wait_for(lambda: runs(outcome="ok"), timeout=60, what="the next run to finish")
    assert_findings_agree(ids)
