"""GuardDuty collection end to end: `collect` against the emulator, then what is stored."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from accounts.models import CollectionRun, SyncCursor
from findings.choices import AwsState, FindingEventKind, FindingStatus
from findings.models import Finding, FindingEvent
from findings.services.guardduty import ARCHIVED_SWEEP_EVERY, CURSOR_OVERLAP
from tests.findings.conftest import collect, outcome

PROD, STAGING = "222222222222", "333333333333"


def add(world, n, account=PROD, region="us-east-1", **kwargs):
    state = world.guardduty(account, region)
    return [state.add_finding(**{"Title": f"finding {i}", **kwargs})["Id"] for i in range(n)]


def ops(emulator, operation, account=PROD):
    return [
        c
        for c in emulator.calls
        if c.service == "guardduty" and c.operation == operation and c.account_id == account
    ]


def test_120_findings_are_listed_in_pages_of_50_and_fetched_in_batches_of_50(gd_org, emulator):
    ids = add(gd_org, 120)
    lines = collect()
    assert outcome(lines, PROD)[:4] == ["ok", "new=120", "updated=0", "unchanged=0"]
    lists = ops(emulator, "ListFindings")
    assert [c.params.get("MaxResults") for c in lists] == [50, 50, 50]
    gets = ops(emulator, "GetFindings")
    assert [len(c.params["FindingIds"]) for c in gets] == [50, 50, 20]
    stored = Finding.objects.filter(account__account_id=PROD)
    assert sorted(stored.values_list("source_id", flat=True)) == sorted(ids)
    assert Finding.objects.count() == 120  # each exactly once


def test_short_pages_lose_nothing(gd_org, emulator):
    gd_org.short_pages = True
    add(gd_org, 120)
    collect()
    assert Finding.objects.count() == 120
    assert all(len(c.params["FindingIds"]) <= 50 for c in ops(emulator, "GetFindings"))


def test_an_account_that_denies_access_does_not_stop_the_others(gd_org, emulator):
    add(gd_org, 3)
    add(gd_org, 2, account=STAGING)
    emulator.inject(
        "guardduty", "ListFindings", "AccessDeniedException", account_id=STAGING, times=None
    )
    lines = collect()
    assert outcome(lines, PROD)[:2] == ["ok", "new=3"]
    denied = outcome(lines, STAGING)
    assert denied[0] == "access_denied"
    assert any(part.startswith("error=ListFindings") for part in denied)
    assert Finding.objects.filter(account__account_id=STAGING).count() == 0
    assert not SyncCursor.objects.filter(account__account_id=STAGING, region="us-east-1").exists()


def test_a_region_without_a_detector_is_not_enabled_never_clean(gd_org):
    lines = collect()
    assert outcome(lines, PROD, "eu-west-1")[0] == "not_enabled"
    run = CollectionRun.objects.get(account__account_id=PROD, region="eu-west-1")
    assert run.outcome == "not_enabled" and "detector" in run.error


def test_a_rerun_on_unchanged_data_writes_nothing(gd_org):
    add(gd_org, 60)
    collect()
    before = dict(Finding.objects.values_list("pk", "updated_at"))
    events = FindingEvent.objects.count()
    lines = collect()
    assert outcome(lines, PROD)[:4] == ["ok", "new=0", "updated=0", "unchanged=60"]
    assert dict(Finding.objects.values_list("pk", "updated_at")) == before
    assert FindingEvent.objects.count() == events


def test_the_next_run_asks_only_for_what_changed_since_the_cursor_with_an_overlap(gd_org, emulator):
    add(gd_org, 3)
    collect()
    cursor = SyncCursor.objects.get(account__account_id=PROD, region="us-east-1").cursor
    newest = max(Finding.objects.values_list("aws_updated_at", flat=True))
    assert cursor == newest
    emulator.reset_calls()
    collect()
    (call,) = ops(emulator, "ListFindings")
    criterion = call.params["FindingCriteria"]["Criterion"]["updatedAt"]
    assert criterion == {"GreaterThanOrEqual": int((cursor - CURSOR_OVERLAP).timestamp() * 1000)}


def test_an_updated_finding_is_picked_up_on_the_next_run(gd_org):
    (fid, other) = add(gd_org, 2, Severity=5.0)
    collect()
    stale = Finding.objects.get(source_id=other).updated_at
    gd_org.clock.advance(600)
    gd_org.guardduty(PROD, "us-east-1").update_finding(fid, Severity=9.2, Title="now critical")
    lines = collect()
    assert outcome(lines, PROD)[:3] == ["ok", "new=0", "updated=1"]
    finding = Finding.objects.get(source_id=fid)
    assert (finding.severity, finding.severity_score, finding.title) == (
        "critical",
        9.2,
        "now critical",
    )
    assert Finding.objects.get(source_id=other).updated_at == stale
    event = finding.events.get(kind=FindingEventKind.AWS_UPDATED)
    assert event.changes["severity"] == ["medium", "critical"]


def test_an_archived_finding_shows_archived_even_when_archiving_keeps_updated_at(gd_org):
    (fid, _other) = add(gd_org, 2)
    collect()
    state = gd_org.guardduty(PROD, "us-east-1")
    state.archive([fid])  # UpdatedAt does not move: only the sweep of archived ids sees it
    gd_org.clock.advance(int(ARCHIVED_SWEEP_EVERY.total_seconds()) + 60)
    cursor = SyncCursor.objects.get(account__account_id=PROD, region="us-east-1")
    cursor.state = {"archived_swept_at": (cursor.updated_at - ARCHIVED_SWEEP_EVERY).isoformat()}
    cursor.save()
    collect()
    finding = Finding.objects.get(source_id=fid)
    assert finding.aws_state == AwsState.ARCHIVED
    assert finding.events.filter(kind=FindingEventKind.ARCHIVED).exists()
    state.unarchive([fid])
    cursor.refresh_from_db()
    cursor.state = {}
    cursor.save()
    collect()
    finding.refresh_from_db()
    assert finding.aws_state == AwsState.ACTIVE
    assert finding.events.filter(kind=FindingEventKind.UNARCHIVED).exists()


def test_the_archived_sweep_compares_in_sql_and_refetches_only_the_differences(
    gd_org, emulator, monkeypatch
):
    """AWS's archived ids against ours in SQL (memory does not grow with the findings), the
    differences fetched again a batch at a time: archived at AWS, unarchived at AWS, and one AWS
    no longer has (gone); an unchanged finding is neither fetched nor written."""
    from findings.services import sync

    a, b, c, d, e, f = add(gd_org, 6)
    state = gd_org.guardduty(PROD, "us-east-1")
    state.archive([d, e])
    gd_org.clock.advance(600)
    (latest,) = add(gd_org, 1)  # the cursor's overlap holds this one only
    collect()
    state.archive([a, b, c])  # UpdatedAt kept: only the sweep sees these three changes
    state.unarchive([d])
    state.delete([e])
    untouched = Finding.objects.get(source_id=f).updated_at
    cursor = SyncCursor.objects.get(account__account_id=PROD, region="us-east-1")
    # The sweep is due; the daily full pass (made by the first collect) is not.
    swept = (cursor.updated_at - ARCHIVED_SWEEP_EVERY).isoformat()
    cursor.state = {**cursor.state, "archived_swept_at": swept}
    cursor.save()
    monkeypatch.setattr(sync, "STORE_BATCH", 2)
    emulator.reset_calls()
    collect()
    asked = [c.params["FindingIds"] for c in ops(emulator, "GetFindings")][1:]
    assert ops(emulator, "GetFindings")[0].params["FindingIds"] == [latest]  # the overlap
    assert sorted(i for batch in asked for i in batch) == sorted([a, b, c, d, e])
    assert max(len(batch) for batch in asked) <= 2
    states = dict(Finding.objects.values_list("source_id", "aws_state"))
    assert [states[i] for i in (a, b, c, d, e, f)] == [
        "archived",
        "archived",
        "archived",
        "active",
        "gone",
        "active",
    ]
    assert Finding.objects.get(source_id=f).updated_at == untouched


def test_the_archived_sweep_runs_every_6_hours_not_every_run(gd_org, emulator):
    add(gd_org, 1)
    collect()  # the first pass is complete: it counts as a sweep
    emulator.reset_calls()
    collect()
    archived_lists = [
        c
        for c in ops(emulator, "ListFindings")
        if "service.archived" in c.params.get("FindingCriteria", {}).get("Criterion", {})
    ]
    assert archived_lists == []


def test_archived_findings_are_collected_archived_on_the_first_run(gd_org):
    add(gd_org, 1, Service={"Archived": True})
    collect()
    assert Finding.objects.get().aws_state == AwsState.ARCHIVED


def test_new_activity_on_a_resolved_finding_reopens_it(gd_org):
    (fid,) = add(gd_org, 1)
    collect()
    Finding.objects.filter(source_id=fid).update(status=FindingStatus.RESOLVED)
    gd_org.clock.advance(60)
    gd_org.guardduty(PROD, "us-east-1").update_finding(fid, Count=5)
    collect()
    finding = Finding.objects.get(source_id=fid)
    assert finding.status == FindingStatus.OPEN
    reopened = finding.events.get(kind=FindingEventKind.REOPENED)
    assert reopened.changes == {"status": ["resolved", "open"], "service_count": [1, 5]}


def test_an_update_without_new_activity_leaves_a_false_positive_alone(gd_org):
    (fid,) = add(gd_org, 1)
    collect()
    Finding.objects.filter(source_id=fid).update(status=FindingStatus.FALSE_POSITIVE)
    gd_org.clock.advance(60)
    gd_org.guardduty(PROD, "us-east-1").update_finding(fid, Title="renamed")
    collect()
    assert Finding.objects.get(source_id=fid).status == FindingStatus.FALSE_POSITIVE


def test_a_finding_aws_stops_returning_becomes_gone_on_a_full_pass_never_deleted(gd_org):
    (fid, kept) = add(gd_org, 2)
    collect()
    gd_org.guardduty(PROD, "us-east-1").delete([fid])
    collect()
    assert Finding.objects.get(source_id=fid).aws_state == AwsState.ACTIVE  # not known yet
    collect("--full")
    gone = Finding.objects.get(source_id=fid)
    assert gone.aws_state == AwsState.GONE
    assert gone.events.filter(kind=FindingEventKind.GONE).exists()
    assert Finding.objects.get(source_id=kept).aws_state == AwsState.ACTIVE


def test_a_full_pass_over_unchanged_data_writes_nothing(gd_org):
    add(gd_org, 5)
    collect()
    before = dict(Finding.objects.values_list("pk", "updated_at"))
    lines = collect("--full")
    assert outcome(lines, PROD)[:4] == ["ok", "new=0", "updated=0", "unchanged=5"]
    assert dict(Finding.objects.values_list("pk", "updated_at")) == before


def test_hostile_strings_are_stored_verbatim(gd_org):
    hostile = "<script>alert(1)</script> ' OR 1=1; -- \u202e évil \U0001f480"
    add(gd_org, 1, Title=hostile, Description=hostile * 3)
    collect()
    finding = Finding.objects.get()
    assert finding.title == hostile
    assert finding.description == hostile * 3
    assert finding.raw["Title"] == hostile


@pytest.mark.parametrize(
    ("score", "band"), [(8.9, "high"), (9.0, "critical"), (3.9, "low"), (4.0, "medium")]
)
def test_collected_scores_get_their_band(gd_org, score, band):
    add(gd_org, 1, Severity=score)
    collect()
    finding = Finding.objects.get()
    assert (finding.severity, finding.severity_score, finding.native_severity) == (
        band,
        score,
        f"{score:g}",
    )


def test_the_cursor_moves_only_after_a_complete_pass(gd_org, emulator):
    add(gd_org, 120)
    emulator.inject("guardduty", "GetFindings", "InternalServerErrorException", times=None)
    lines = collect()
    assert outcome(lines, PROD)[0] == "failed"
    assert not SyncCursor.objects.filter(account__account_id=PROD, region="us-east-1").exists()
    emulator.clear_faults()
    lines = collect()
    assert outcome(lines, PROD)[:2] == ["ok", "new=120"]


def test_each_sync_snapshots_the_days_open_counts(gd_org):
    from findings.models import FindingDailyCount

    add(gd_org, 2, Severity=9.5)
    add(gd_org, 1, Severity=2.0)
    collect()
    counts = {
        (c.severity, c.count) for c in FindingDailyCount.objects.filter(account__account_id=PROD)
    }
    assert counts == {("critical", 2), ("low", 1)}


def test_findings_keep_their_network_details(gd_org):
    payload = {
        "Type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "Resource": {"ResourceType": "Instance", "InstanceDetails": {"InstanceId": "i-1"}},
        "Service": {
            "Action": {
                "ActionType": "NETWORK_CONNECTION",
                "NetworkConnectionAction": {
                    "ConnectionDirection": "INBOUND",
                    "LocalPortDetails": {"Port": 22, "PortName": "SSH"},
                    "RemoteIpDetails": {
                        "IpAddressV4": "198.51.100.77",
                        "Country": {"CountryCode": "NL", "CountryName": "Netherlands"},
                        "Organization": {"Asn": "64496", "AsnOrg": "EXAMPLE-AS"},
                    },
                },
            },
            "Evidence": {"ThreatIntelligenceDetails": [{"ThreatListName": "ProofPoint"}]},
        },
    }
    gd_org.guardduty(PROD, "us-east-1").add_finding(payload)
    collect()
    f = Finding.objects.get()
    assert (f.resource_type, f.resource_id, f.action_type) == (
        "Instance",
        "i-1",
        "NETWORK_CONNECTION",
    )
    assert (f.remote_ip, f.port, f.country, f.country_code) == (
        "198.51.100.77",
        22,
        "Netherlands",
        "NL",
    )
    assert (f.organisation, f.asn, f.threat_list_name) == ("EXAMPLE-AS", "64496", "ProofPoint")


def test_the_events_of_a_gone_finding_that_returns_say_so(gd_org):
    (fid,) = add(gd_org, 1)
    collect()
    state = gd_org.guardduty(PROD, "us-east-1")
    saved = state.findings.pop(fid)
    collect("--full")
    assert Finding.objects.get().aws_state == AwsState.GONE
    state.findings[fid] = saved  # back, exactly as it was
    gd_org.clock.advance(int(timedelta(minutes=1).total_seconds()))
    collect("--full")
    finding = Finding.objects.get()
    assert finding.aws_state == AwsState.ACTIVE
    assert finding.events.filter(kind=FindingEventKind.RETURNED).exists()


def test_scheduled_collection_makes_deleted_findings_gone_by_a_daily_full_pass(gd_org, account_a):
    from accounts.tasks import collect_source_task
    from findings.services.sync import FULL_KEY, FULL_PASS_EVERY

    (fid, kept) = add(gd_org, 2)
    collect_source_task.delay("guardduty")  # as beat does: never --full
    gd_org.guardduty(PROD, "us-east-1").delete([fid])
    collect_source_task.delay("guardduty")
    assert Finding.objects.get(source_id=fid).aws_state == AwsState.ACTIVE  # within the day
    cursor = SyncCursor.objects.get(account=account_a, region="us-east-1", source="guardduty")
    last_full = datetime.fromisoformat(cursor.state[FULL_KEY])
    cursor.state = {**cursor.state, FULL_KEY: (last_full - FULL_PASS_EVERY).isoformat()}
    cursor.save()
    collect_source_task.delay("guardduty")
    gone = Finding.objects.get(source_id=fid)
    assert gone.aws_state == AwsState.GONE
    assert gone.events.filter(kind=FindingEventKind.GONE).count() == 1
    assert Finding.objects.get(source_id=kept).aws_state == AwsState.ACTIVE
    cursor.refresh_from_db()
    assert datetime.fromisoformat(cursor.state[FULL_KEY]) > last_full


def test_a_collect_costs_the_same_queries_for_3_findings_as_for_120(gd_org):
    """Queries per target are fixed (the run, the cursor, a store per batch of 1,000, the gone
    pass, the snapshot): none per finding, none per page of 50."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add(gd_org, 1)
    collect("--account", PROD)  # the first run also learns the hub's identity, once
    add(gd_org, 3, account=STAGING)
    with CaptureQueriesContext(connection) as few:
        collect("--account", STAGING)
    Finding.objects.filter(account__account_id=STAGING).delete()  # a first pass again
    SyncCursor.objects.filter(account__account_id=STAGING).delete()
    add(gd_org, 117, account=STAGING)
    with CaptureQueriesContext(connection) as many:
        lines = collect("--account", STAGING)
    assert outcome(lines, STAGING)[:2] == ["ok", "new=120"]
    assert len(many.captured_queries) == len(few.captured_queries) <= 45
