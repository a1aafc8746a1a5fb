"""Redis and PostgreSQL failing mid-run: connections killed, backends terminated. Real Redis and
PostgreSQL; the collection test runs on a real worker process."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client

from accounts.collection import Target, target_lock
from accounts.models import CollectionRun
from accounts.ratelimit import CallRate, LimiterUnavailable, RedisSlidingWindow
from accounts.tasks import collect_target_task
from findings.models import Finding
from findings.services.sync import STORE_BATCH
from tests.faults.conftest import assert_findings_agree, guardduty_findings, wait_for

RATE = CallRate(calls=2, seconds=1.1)


def redis_admin(url: str):
    import redis

    return redis.Redis.from_url(url)


def test_the_limiter_gives_no_slot_while_redis_is_unreachable_and_gives_up():
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    window = RedisSlidingWindow(
        "redis://127.0.0.1:1/0", sleep=sleep, clock=lambda: now[0], give_up_after=5
    )
    with pytest.raises(LimiterUnavailable, match="has not answered for 5 s"):
        window.acquire("watchpost:test:down", RATE)
    assert sum(waits) >= 5 and all(w == window.retry_every for w in waits)


def test_the_limiter_survives_its_connection_killed_and_stays_at_two_a_second(redis_url):
    admin = redis_admin(redis_url)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    window = RedisSlidingWindow(redis_url, sleep=sleep)
    key = "watchpost:test:killed"
    window.acquire(key, RATE)
    window.acquire(key, RATE)
    killed = admin.execute_command("CLIENT", "KILL", "ID", window.client.client_id())
    assert killed == 1
    window.acquire(key, RATE)  # a third inside the window: waits, whatever the connection
    assert sleeps and sum(sleeps) > 0
    assert admin.zcard(key) <= 2


def test_healthz_says_the_broker_is_down_while_it_is(db, client: Client, settings, redis_url):
    assert client.get("/healthz").status_code == 200
    settings.REDIS_URL = "redis://127.0.0.1:1/7"  # the broker unreachable
    down = client.get("/healthz")
    assert down.status_code == 503 and down.json()["broker"].startswith("error:")
    assert down.json()["database"] == "ok"
    settings.REDIS_URL = redis_url
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_while_the_database_is_unreachable(live, client: Client):
    from django.db import connections

    assert client.get("/healthz").status_code == 200
    good = dict(connections["default"].settings_dict)
    connections["default"].close()
    connections["default"].settings_dict["PORT"] = 1  # nothing listens there
    try:
        down = client.get("/healthz")
    finally:
        connections["default"].close()
        connections["default"].settings_dict.update(good)
    assert down.status_code == 503
    assert down.json()["database"].startswith("error:")
    assert client.get("/healthz").status_code == 200


def terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_database_backends_terminated_mid_run_roll_back_and_the_next_run_catches_up(
    start_worker, prod, aws_world, aws_server
):
    ids = guardduty_findings(aws_world, STORE_BATCH + 300)
    aws_server.slow("guardduty", "GetFindings", seconds=0.15)
    start_worker(concurrency=1)
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")
    wait_for(lambda: Finding.objects.count() >= STORE_BATCH, timeout=90, what="a first store")
    assert terminate_other_backends() >= 1

    def ended():
        return CollectionRun.objects.filter(outcome__gt="").first()

    run = wait_for(ended, timeout=90, what="the run to end")
    assert run.outcome == "failed", run.error
    assert "OperationalError" in run.error or "InterfaceError" in run.error
    # nothing half-written: what was committed agrees with itself
    stored = Finding.objects.count()
    assert stored in (STORE_BATCH, len(ids))
    lock = target_lock(Target(prod, "us-east-1", "guardduty"))
    assert lock.acquire()  # released by the failed run
    lock.release()
    aws_server.clear_faults()
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")
    wait_for(
        lambda: CollectionRun.objects.filter(outcome="ok").exists(),
        timeout=90,
        what="the next run to finish",
    )
    assert_findings_agree(ids)
    assert not CollectionRun.objects.filter(outcome="").exists()


def test_redis_connections_killed_mid_run_the_worker_reconnects_and_pages_serve(
    start_worker, prod, aws_world, aws_server, redis_url, alice
):
    ids = guardduty_findings(aws_world, 200)
    aws_server.slow("guardduty", "GetFindings", seconds=0.5)
    start_worker(concurrency=1)
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")
    wait_for(lambda: CollectionRun.objects.filter(outcome="").exists(), timeout=60, what="a run")
    admin = redis_admin(redis_url)
    mine = admin.client_id()
    db = str(admin.connection_pool.connection_kwargs.get("db", 0))  # the suite's REDIS_URL's
    clients = [c for c in admin.client_list() if c.get("db") == db and int(c["id"]) != mine]
    assert clients, "the worker holds connections to its Redis database"
    for c in clients:
        admin.execute_command("CLIENT", "KILL", "ID", c["id"])
    page = Client()
    page.force_login(alice)
    assert "Collection health" in page.get("/collection/").content.decode()  # pages serve
    assert page.get("/healthz").status_code == 200
    wait_for(
        lambda: CollectionRun.objects.filter(outcome="ok").exists(),
        timeout=90,
        what="the run to finish after its Redis connections were killed",
    )
    assert_findings_agree(ids)
    # the worker still takes work from the broker afterwards
    collect_target_task.delay(prod.pk, "us-east-1", "guardduty")
    wait_for(
        lambda: CollectionRun.objects.filter(outcome="ok").count() == 2,
        timeout=60,
        what="a second task after the reconnection",
    )
