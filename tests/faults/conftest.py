"""Real processes for fault tests: Celery workers (subprocesses) on Redis and the PostgreSQL test
database, answering AWS from an emulator served over HTTP by this process.

Each worker is `celery -A config worker` started with this test's database and broker, so it runs
exactly the code production runs; tests kill it, time it out or cut its connections, then assert
the rules of docs/operations.md (Faults): nothing lost, nothing duplicated, an honest outcome.
Never skipped when WATCHPOST_REQUIRE_SERVICES=1 (the `postgres` and `redis_url` fixtures fail).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Sum

from accounts.models import AwsAccount
from config.celery import app as celery_app
from findings.models import Finding, FindingDailyCount, FindingEvent, FindingOpenCount
from tests.conftest import emulate_member
from tests.factories import AwsAccountFactory

ROOT = Path(__file__).resolve().parents[2]
PROD = "222222222222"


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout} s")


class Worker:
    """A `celery worker` subprocess; `stop()` ends it (warm), `kill()` with SIGKILL."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int) -> None:
        self.log = log
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            f"--logfile={log}",
            f"--hostname=faults-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        wait_for(self.ready, timeout=60, what="the worker to start")

    def ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.text()}")
        return " ready." in self.text()

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a host lost, the OOM killer)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def live(postgres: None, redis_url: str, transactional_db: Any) -> str:
    """PostgreSQL (committed data, so worker processes see it) and Redis; returns the broker URL.
    The autouse cache fixture has emptied this Redis database (queues included)."""
    return redis_url


@pytest.fixture
def aws_server(aws_world: Any) -> Iterator[Any]:
    """The emulator over HTTP, for worker processes (AWS_ENDPOINT_URL)."""
    from aws_emulator.server import EmulatorServer

    server = EmulatorServer(aws_world).start()
    yield server
    server.stop()
    assert server.bugs == []


@pytest.fixture
def start_worker(live: str, aws_server: Any, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start worker processes: `start_worker(concurrency=1, **env)`; all stopped at the end."""
    started: list[Worker] = []
    db = connection.settings_dict

    def start(concurrency: int = 1, **extra: str) -> Worker:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=(
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}"
            ),
            REDIS_URL=live,
            AWS_ENDPOINT_URL=aws_server.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            WATCHPOST_AWS_MAX_ATTEMPTS="2",
            PYTHONUNBUFFERED="1",
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.update(extra)
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log", concurrency)
        started.append(worker)
        return worker

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = previous
        for worker in started:
            worker.stop()
        connection.close()


@pytest.fixture
def prod(live: str, aws_world: Any) -> AwsAccount:
    """Account 222222222222 in the emulator, GuardDuty on in us-east-1."""
    account = AwsAccountFactory(account_id=PROD, regions=["us-east-1"])
    emulate_member(aws_world, account)
    aws_world.guardduty(PROD, "us-east-1").enable()
    return account


def guardduty_findings(world: Any, n: int, account: str = PROD) -> list[str]:
    state = world.guardduty(account, "us-east-1")
    return [state.add_finding(Title=f"finding {i}", Severity=5.0)["Id"] for i in range(n)]


def assert_findings_agree(ids: list[str]) -> None:
    """Every finding AWS has is stored exactly once, none wrongly gone, and the history, the open
    counts and today's daily counts agree with the findings."""
    stored = Finding.objects.filter(source="guardduty")
    assert sorted(stored.values_list("source_id", flat=True)) == sorted(ids)
    assert not stored.exclude(aws_state="active").exists()
    created = FindingEvent.objects.filter(kind="created").values("finding").annotate(n=Count("id"))
    assert sorted(row["finding"] for row in created) == sorted(stored.values_list("id", flat=True))
    assert {row["n"] for row in created} == {1}
    open_now = Finding.objects.open().count()
    assert (FindingOpenCount.objects.aggregate(n=Sum("n"))["n"] or 0) == open_now
    latest = FindingDailyCount.objects.order_by("-day").values_list("day", flat=True).first()
    daily = FindingDailyCount.objects.filter(day=latest).aggregate(n=Sum("count"))["n"]
    assert daily == open_now
