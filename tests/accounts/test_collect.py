"""`collect` and collection runs: one record per account, region and source, whatever happens."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import collection
from accounts.aws import AwsGateway
from accounts.collection import SourceSpec, SyncResult, Target, collection_run_target, target_lock
from accounts.models import AwsAccount, CollectionRun, SyncCursor
from tests.conftest import bearer_client, emulate_member
from tests.factories import AwsAccountFactory


def list_detectors_syncer(ctx: collection.SyncContext) -> SyncResult:
    """A minimal real syncer: asks GuardDuty for its detectors, as a collector would."""
    detectors = ctx.client("guardduty").call("list_detectors")["DetectorIds"]
    if not detectors:
        from accounts.aws import ServiceNotEnabled

        raise ServiceNotEnabled("no GuardDuty detector in this region")
    return SyncResult(new=len(detectors), cursor=ctx.cursor, state={"seen": detectors})


@pytest.fixture
def registry(monkeypatch):
    """Only our test source is registered (the real collectors are tested in their apps)."""
    specs = {"guardduty": SourceSpec("guardduty", sync=list_detectors_syncer)}
    monkeypatch.setattr(collection, "_REGISTRY", specs)
    return specs


@pytest.fixture
def org(db, emulator, aws_world, registry):
    """Three accounts: two whose role works, one whose role refuses us."""
    good = AwsAccountFactory(account_id="222222222222", regions=["us-east-1", "eu-west-1"])
    other = AwsAccountFactory(account_id="333333333333", regions=["us-east-1"])
    denied = AwsAccountFactory(account_id="444444444444", regions=["us-east-1"])
    for account in (good, other):
        emulate_member(aws_world, account)
    aws_world.add_account(denied.account_id)
    aws_world.add_role(denied.account_id, "WatchpostReadOnly", external_id="someone-elses")
    aws_world.guardduty("222222222222", "us-east-1").enable()
    aws_world.guardduty("333333333333", "us-east-1").enable()
    return good, other, denied


def collect(*args: str) -> list[str]:
    out = StringIO()
    call_command("collect", *args, stdout=out)
    return out.getvalue().splitlines()


def test_collect_prints_one_line_per_account_region_and_source(org):
    lines = collect("--source", "guardduty", "--source", "macie")
    assert len(lines) == 2 * 2 + 2 + 2  # 222: 2 regions x 2 sources; 333 and 444: 1 region x 2
    by_key = {tuple(line.split()[:3]): line for line in lines}
    assert by_key[("222222222222", "us-east-1", "guardduty")].split()[3:] == [
        "ok",
        "new=1",
        "updated=0",
        "unchanged=0",
        "calls=2",
    ]
    assert by_key[("222222222222", "eu-west-1", "guardduty")].split()[3] == "not_enabled"
    assert by_key[("333333333333", "us-east-1", "guardduty")].split()[3] == "ok"
    denied = by_key[("444444444444", "us-east-1", "guardduty")]
    assert denied.split()[3] == "access_denied"
    assert "error=AssumeRole: AccessDenied" in denied
    macie = by_key[("222222222222", "us-east-1", "macie")]
    assert macie.split()[3] == "skipped" and "error=not collected yet" in macie
    assert CollectionRun.objects.count() == len(lines)


def test_every_run_is_recorded_with_its_times_and_the_accounts_last_check(org):
    collect("--source", "guardduty")
    run = CollectionRun.objects.get(account__account_id="333333333333")
    assert run.finished_at >= run.started_at
    assert run.calls == 2  # AssumeRole and ListDetectors
    good, other, denied = (AwsAccount.objects.get(pk=a.pk) for a in org)
    assert other.last_check_outcome == "ok" and other.last_check_at
    assert denied.last_check_outcome == "access_denied"
    assert good.last_check_outcome == "ok"  # ok in one region, not enabled in the other


def test_the_cursor_is_stored_after_a_complete_pass_and_full_ignores_it(org, registry):
    seen = []

    def syncer(ctx):
        seen.append((ctx.cursor, ctx.full))
        from datetime import UTC, datetime

        return SyncResult(cursor=datetime(2026, 11, 1, tzinfo=UTC))

    registry["guardduty"] = SourceSpec("guardduty", sync=syncer)
    collect("--source", "guardduty", "--account", "333333333333")
    collect("--source", "guardduty", "--account", "333333333333")
    collect("--source", "guardduty", "--account", "333333333333", "--full")
    assert seen[0] == (None, False)
    assert seen[1][0].isoformat() == "2026-11-01T00:00:00+00:00"
    assert seen[2] == (None, True)
    assert SyncCursor.objects.count() == 1


def test_a_failing_pass_keeps_the_cursor(org, registry, emulator):
    collect("--source", "guardduty", "--account", "333333333333")
    before = SyncCursor.objects.get().updated_at
    emulator.inject("guardduty", "ListDetectors", "InternalServerErrorException", times=None)
    lines = collect("--source", "guardduty", "--account", "333333333333")
    assert lines[0].split()[3] == "failed"
    assert SyncCursor.objects.get().updated_at == before


def test_a_collector_bug_fails_its_target_only(org, registry):
    def broken(ctx):
        if ctx.account.account_id == "222222222222":
            raise KeyError("Findings")
        return list_detectors_syncer(ctx)

    registry["guardduty"] = SourceSpec("guardduty", sync=broken)
    lines = collect("--source", "guardduty")
    outcomes = {tuple(line.split()[:2]): line.split()[3] for line in lines}
    assert outcomes[("222222222222", "us-east-1")] == "failed"
    assert outcomes[("333333333333", "us-east-1")] == "ok"


def test_a_held_lock_skips_a_second_run_of_the_same_target(org):
    good = org[0]
    target = Target(good, "us-east-1", "guardduty")
    lock = target_lock(target)
    assert lock.acquire()
    try:
        run = collection_run_target(target=target, gateway=AwsGateway())
        assert run.outcome == "skipped" and "in progress" in run.error
        other = collection_run_target(
            target=Target(good, "eu-west-1", "guardduty"), gateway=AwsGateway()
        )
        assert other.outcome == "not_enabled"
    finally:
        lock.release()
    assert collection_run_target(target=target, gateway=AwsGateway()).outcome == "ok"


def test_payer_only_sources_are_skipped_elsewhere(org, registry):
    registry["costs"] = SourceSpec(
        "costs", sync=list_detectors_syncer, regional=False, payer_only=True
    )
    lines = collect("--source", "costs")
    assert {line.split()[1] for line in lines} == {"us-east-1"}
    assert all(line.split()[3] == "skipped" for line in lines)
    assert "payer" in lines[0]


def test_nothing_to_run_exits_1(db, registry):
    with pytest.raises(CommandError, match="Nothing to collect"):
        collect()


def test_an_unknown_account_exits_1_naming_it(org):
    with pytest.raises(CommandError, match="999999999999"):
        collect("--account", "999999999999")
    with pytest.raises(CommandError, match="12 digits"):
        collect("--account", "12")


def test_disabled_and_retired_accounts_are_not_collected(org):
    AwsAccount.objects.filter(account_id="333333333333").update(enabled=False)
    lines = collect("--source", "guardduty")
    assert not any(line.startswith("333333333333") for line in lines)


def test_collection_runs_api_is_scoped_and_filterable(org, bob, charlie):
    collect("--source", "guardduty")
    body = bearer_client(bob).get("/api/v1/collection-runs/").json()
    assert {r["account_id"] for r in body["results"]} == {"222222222222"}
    row = body["results"][0]
    for field in [
        "account_id",
        "region",
        "source",
        "outcome",
        "new",
        "updated",
        "unchanged",
        "calls",
        "error",
        "started_at",
        "finished_at",
    ]:
        assert field in row
    assert bearer_client(charlie).get("/api/v1/collection-runs/").json()["results"] == []
    filtered = bearer_client(bob).get("/api/v1/collection-runs/?outcome=not_enabled").json()
    assert [r["region"] for r in filtered["results"]] == ["eu-west-1"]
    bad = bearer_client(bob).get("/api/v1/collection-runs/?outcome=great")
    assert bad.status_code == 400 and "outcome" in bad.json()
