"""Celery: the fan-out, idempotent tasks, the beat schedule, and a real worker on Redis."""

import time

import pytest

from accounts import collection
from accounts.collection import SourceSpec
from accounts.models import CollectionRun
from accounts.schedule import source_interval_minutes
from accounts.tasks import collect_source_task, collect_target_task
from config.celery import app as celery_app
from tests.accounts.test_collect import list_detectors_syncer
from tests.conftest import emulate_member
from tests.factories import AwsAccountFactory


@pytest.fixture
def member(db, emulator, aws_world, monkeypatch):
    monkeypatch.setattr(
        collection, "_REGISTRY", {"guardduty": SourceSpec("guardduty", sync=list_detectors_syncer)}
    )
    account = AwsAccountFactory(account_id="222222222222", regions=["us-east-1", "eu-west-1"])
    emulate_member(aws_world, account)
    aws_world.guardduty(account.account_id, "us-east-1").enable()
    return account


def test_beat_schedules_every_source_and_discovery() -> None:
    schedule = celery_app.conf.beat_schedule
    for source, minutes in source_interval_minutes().items():
        entry = schedule[f"collect-{source}"]
        assert entry["task"] == "accounts.collect_source"
        assert entry["args"] == (source,)
        assert entry["schedule"] == minutes * 60
    assert schedule["discover-organization"]["task"] == "accounts.discover_organization"
    assert "accounts.collect_target" in celery_app.tasks


def test_fan_out_queues_one_task_per_account_and_region(member) -> None:
    assert collect_source_task.delay("guardduty").get() == 2
    outcomes = dict(CollectionRun.objects.values_list("region", "outcome"))
    assert outcomes == {"us-east-1": "ok", "eu-west-1": "not_enabled"}
    member.refresh_from_db()
    assert member.last_check_outcome == "ok"


def test_a_task_run_twice_is_harmless(member) -> None:
    assert collect_target_task.delay(member.pk, "us-east-1", "guardduty").get() == "ok"
    assert collect_target_task.delay(member.pk, "us-east-1", "guardduty").get() == "ok"
    assert CollectionRun.objects.count() == 2


def test_a_task_for_a_removed_account_does_nothing(member) -> None:
    pk = member.pk
    member.delete()
    assert collect_target_task.delay(pk, "us-east-1", "guardduty").get() == "gone"


def test_acks_late_and_visibility_timeout_above_the_longest_task(settings) -> None:
    assert celery_app.conf.task_acks_late is True
    assert collect_target_task.acks_late is True
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_a_collection(
    redis_url, emulator, aws_world, monkeypatch
) -> None:
    from celery.contrib.testing.worker import start_worker

    monkeypatch.setattr(
        collection, "_REGISTRY", {"guardduty": SourceSpec("guardduty", sync=list_detectors_syncer)}
    )
    account = AwsAccountFactory(account_id="222222222222", regions=["us-east-1"])
    emulate_member(aws_world, account)
    aws_world.guardduty(account.account_id, "us-east-1").enable()
    assert celery_app.conf.broker_url.startswith("redis://")
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        collect_target_task.delay(account.pk, "us-east-1", "guardduty")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run = CollectionRun.objects.filter(account=account, outcome="ok").first()
            if run is not None:
                break
            time.sleep(0.2)
    assert run is not None, "the worker did not run the task within 30 s"
    assert run.new == 1
