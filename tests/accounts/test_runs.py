"""Run ownership and the sweeper: no run stays without an outcome, and a dead run's lock is freed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import runs
from accounts.aws import AwsGateway
from accounts.collection import SourceSpec, Target, collection_run_target, target_lock
from accounts.models import AwsAccount, CollectionRun
from accounts.tasks import sweep_runs_task
from config.celery import app as celery_app
from tests.accounts import test_collect
from tests.conftest import bearer_client

org = test_collect.org  # the same three accounts (fixtures)
registry = test_collect.registry


def dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def left_running(account: AwsAccount, region: str = "us-east-1", **fields: object) -> CollectionRun:
    """A run row as a process killed mid-run leaves it: no outcome, its lock still held."""
    target = Target(account, region, "guardduty")
    lock = target_lock(target)
    assert lock.acquire()
    values: dict[str, object] = {
        "host": runs.owner_host(),
        "pid": dead_pid(),
        "heartbeat_at": timezone.now(),
        "lock_token": lock.token,
    }
    values.update(fields)
    return CollectionRun.objects.create(
        account=account, region=region, source="guardduty", **values
    )


def collect(*args: str) -> list[str]:
    out = StringIO()
    call_command("collect", *args, stdout=out)
    return out.getvalue().splitlines()


def test_collect_records_a_killed_run_interrupted_and_frees_its_lock(org):
    good = org[0]
    killed = left_running(good)
    lines = collect("--account", good.account_id, "--source", "guardduty")
    killed.refresh_from_db()
    assert killed.outcome == "interrupted"
    assert f"pid {killed.pid}" in killed.error and "is gone" in killed.error
    assert killed.finished_at is not None
    # the lock was released, so this collect really ran the target
    assert any(line.startswith("222222222222 us-east-1 guardduty ok ") for line in lines)
    assert not CollectionRun.objects.filter(outcome="").exists()


def test_a_redelivered_run_takes_over_the_lock_of_its_dead_predecessor(org):
    good = org[0]
    killed = left_running(good)
    run = collection_run_target(target=Target(good, "us-east-1", "guardduty"), gateway=AwsGateway())
    assert run.outcome == "ok"
    killed.refresh_from_db()
    assert killed.outcome == "interrupted"
    assert target_lock(Target(good, "us-east-1", "guardduty")).acquire()  # released at the end


def test_a_live_run_is_left_alone_and_keeps_its_lock(org):
    good = org[0]
    live = left_running(good, pid=os.getppid())  # our parent is alive
    assert runs.runs_sweep() == []
    run = collection_run_target(target=Target(good, "us-east-1", "guardduty"), gateway=AwsGateway())
    assert run.outcome == "skipped" and "in progress" in run.error
    live.refresh_from_db()
    assert live.outcome == ""


def test_another_hosts_run_is_interrupted_when_it_stops_beating(org):
    good = org[0]
    now = timezone.now()
    quiet = now - timedelta(seconds=runs.STALE_AFTER_SECONDS + 1)
    beating = left_running(good, "eu-west-1", host="other-host", pid=1, heartbeat_at=now)
    silent = left_running(good, host="other-host", pid=1, heartbeat_at=quiet, started_at=quiet)
    swept = runs.runs_sweep(now=now)
    assert [r.pk for r in swept] == [silent.pk]
    silent.refresh_from_db()
    beating.refresh_from_db()
    assert silent.outcome == "interrupted" and "no sign of life" in silent.error
    assert beating.outcome == ""
    good.refresh_from_db()
    assert good.last_check_outcome == "failed"


def test_a_run_past_its_time_limit_is_interrupted(org, settings):
    good = org[0]
    settings.CELERY_TASK_TIME_LIMIT = 600
    started = timezone.now() - timedelta(seconds=600 + runs.TIME_LIMIT_GRACE_SECONDS + 1)
    old = left_running(good, pid=os.getppid(), started_at=started, heartbeat_at=timezone.now())
    assert sweep_runs_task.delay().get() == 1
    old.refresh_from_db()
    assert old.outcome == "interrupted" and "time limit of 600 s" in old.error


def test_the_soft_time_limit_fails_the_run_with_its_reason_and_frees_the_lock(org, registry):
    def slow(ctx):
        ctx.client("guardduty").call("list_detectors")
        raise SoftTimeLimitExceeded()

    registry["guardduty"] = SourceSpec("guardduty", sync=slow)
    target = Target(org[0], "us-east-1", "guardduty")
    run = collection_run_target(target=target, gateway=AwsGateway())
    assert run.outcome == "failed" and "time limit reached" in run.error
    assert run.calls == 2  # AssumeRole and ListDetectors, counted though it failed
    assert target_lock(target).acquire()


def test_a_run_interrupted_in_its_own_process_says_so(org, registry):
    def stopped(ctx):
        raise KeyboardInterrupt

    registry["guardduty"] = SourceSpec("guardduty", sync=stopped)
    target = Target(org[0], "us-east-1", "guardduty")
    with pytest.raises(KeyboardInterrupt):
        collection_run_target(target=target, gateway=AwsGateway())
    run = CollectionRun.objects.get(region="us-east-1", account=org[0])
    assert run.outcome == "interrupted"
    assert target_lock(target).acquire()


def test_every_run_records_its_owner(org):
    run = collection_run_target(
        target=Target(org[0], "us-east-1", "guardduty"), gateway=AwsGateway()
    )
    assert (run.host, run.pid) == (runs.owner_host(), os.getpid())
    assert run.heartbeat_at is not None and run.lock_token


def test_beat_sweeps_runs_periodically():
    entry = celery_app.conf.beat_schedule["sweep-runs"]
    assert entry["task"] == "accounts.sweep_runs" and entry["schedule"] <= 10 * 60
    assert "accounts.sweep_runs" in celery_app.tasks


def test_interrupted_is_shown_on_the_health_page_and_in_the_api_scoped(org, alice, bob, charlie):
    good = org[0]  # bob sees 222222222222 (account_a of conftest is the same account id)
    other = org[1]
    hostile = '<script>alert("host")</script>'
    quiet = timezone.now() - timedelta(seconds=runs.STALE_AFTER_SECONDS + 1)
    left_running(good, host=hostile, pid=1, heartbeat_at=quiet, started_at=quiet)
    left_running(other, host="h", pid=1, heartbeat_at=quiet, started_at=quiet)
    assert len(runs.runs_sweep()) == 2

    from django.test import Client

    page = Client()
    page.force_login(bob)
    html = page.get(reverse("collection_health"), {"outcome": "interrupted"}).content.decode()
    assert "Interrupted" in html and "no sign of life" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "333333333333" not in html

    url = "/api/v1/collection-runs/?outcome=interrupted"
    rows = bearer_client(bob).get(url).json()["results"]
    assert [(r["account_id"], r["outcome"]) for r in rows] == [("222222222222", "interrupted")]
    assert bearer_client(charlie).get(url).json()["results"] == []
    assert len(bearer_client(alice).get(url).json()["results"]) == 2
    bad = bearer_client(bob).get("/api/v1/collection-runs/?outcome=<b>dead</b>")
    assert bad.status_code == 400 and "outcome" in bad.json()
