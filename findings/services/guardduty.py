"""The GuardDuty syncer the collection spine calls for one account and region."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.aws import AwsClient
from accounts.collection import SyncContext, SyncResult
from findings.choices import AwsState, FindingSource
from findings.collectors import guardduty as collector
from findings.models import Finding
from findings.records import FindingRecord
from findings.services.history import finding_history_snapshot
from findings.services.upsert import UpsertCounts, finding_upsert_many, findings_mark_gone

__all__ = ["ARCHIVED_SWEEP_EVERY", "CURSOR_OVERLAP", "guardduty_sync"]

# Asked again on every run: a finding written at the cursor's edge, or visible late, is not lost.
CURSOR_OVERLAP = timedelta(minutes=5)
# AWS does not document whether (un)archiving moves UpdatedAt: a pass over archived ids keeps our
# archived state right either way (DOMAIN.md).
ARCHIVED_SWEEP_EVERY = timedelta(hours=6)
SWEPT_KEY = "archived_swept_at"
SOURCE = FindingSource.GUARDDUTY.value


def guardduty_sync(ctx: SyncContext) -> SyncResult:
    """Collect the findings of one account and region updated since the cursor (all without one).

    Raises ServiceNotEnabled when the region has no detector; AWS errors propagate (the spine
    records them) and then neither cursor nor state moves. A pass without a cursor is complete: the
    findings it did not get back become `gone`. Otherwise archived ids are swept every 6 hours.
    The cursor returned is the latest UpdatedAt seen (the previous one if none is later).
    """
    started = timezone.now()
    client = ctx.client("guardduty")
    detector = collector.detector_id(client)
    since = None if ctx.cursor is None else ctx.cursor - CURSOR_OVERLAP
    counts = UpsertCounts()
    fetched: set[str] = set()
    newest = ctx.cursor
    for ids in collector.finding_id_pages(client, detector, updated_since=since):
        records = list(collector.findings_get(client, detector, ids))
        counts += finding_upsert_many(records=records, default_account=ctx.account)
        fetched.update(r.source_id for r in records)
        newest = _latest(newest, records)
    state: dict[str, Any] = dict(ctx.state)
    if since is None:
        _mark_unreturned_gone(ctx, fetched)
        state[SWEPT_KEY] = started.isoformat()
    elif _sweep_due(state, started):
        counts += _archived_sweep(ctx, client, detector, skip=fetched)
        state[SWEPT_KEY] = started.isoformat()
    finding_history_snapshot(accounts=[ctx.account])
    return SyncResult(
        new=counts.new,
        updated=counts.updated,
        unchanged=counts.unchanged,
        cursor=newest,
        state=state,
    )


def _latest(current: datetime | None, records: list[FindingRecord]) -> datetime | None:
    times = [r.aws_updated_at for r in records if r.aws_updated_at is not None]
    if current is not None:
        times.append(current)
    return max(times) if times else None


def _ours(ctx: SyncContext) -> dict[str, str]:
    """source_id -> aws_state of our findings of this account and region that are not gone."""
    return dict(
        Finding.objects.filter(source=SOURCE, account=ctx.account, region=ctx.region)
        .exclude(aws_state=AwsState.GONE)
        .values_list("source_id", "aws_state")
    )


def _mark_unreturned_gone(ctx: SyncContext, returned: set[str]) -> int:
    missing = sorted(set(_ours(ctx)) - returned)
    return findings_mark_gone(
        source=SOURCE, account=ctx.account, region=ctx.region, source_ids=missing
    )


def _sweep_due(state: dict[str, Any], now: datetime) -> bool:
    try:
        last = datetime.fromisoformat(str(state[SWEPT_KEY]))
    except (KeyError, ValueError):
        return True
    return now - last >= ARCHIVED_SWEEP_EVERY


def _archived_sweep(
    ctx: SyncContext, client: AwsClient, detector: str, *, skip: set[str]
) -> UpsertCounts:
    """Fetch again the findings whose archived state differs between AWS and us; those AWS no
    longer returns become gone."""
    archived = collector.archived_finding_ids(client, detector)
    ours = _ours(ctx)
    ours_archived = {i for i, state in ours.items() if state == AwsState.ARCHIVED}
    refresh = ((archived - ours_archived) | (ours_archived - archived)) - skip
    counts = UpsertCounts()
    returned: set[str] = set()
    batch: list[FindingRecord] = []
    for record in collector.findings_get(client, detector, sorted(refresh)):
        batch.append(record)
        returned.add(record.source_id)
        if len(batch) == collector.GET_BATCH:
            counts += finding_upsert_many(records=batch, default_account=ctx.account)
            batch = []
    counts += finding_upsert_many(records=batch, default_account=ctx.account)
    gone = sorted((refresh & set(ours)) - returned)
    findings_mark_gone(source=SOURCE, account=ctx.account, region=ctx.region, source_ids=gone)
    return counts
