"""The incremental sync every finding source shares: follow `updatedAt`, sweep archived ids, mark
what AWS stopped returning as gone. A source supplies a FindingFeed over its own API."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from accounts.collection import SyncContext, SyncResult
from findings.choices import AwsState
from findings.models import Finding
from findings.records import FindingRecord
from findings.services.clock import finding_change_time
from findings.services.history import finding_history_snapshot
from findings.services.rollups import rollups_flush
from findings.services.staging import (
    ARCHIVED,
    FETCHED,
    REFRESH,
    fetched_reset,
    id_table_reset,
    ids_load,
)
from findings.services.upsert import (
    UpsertCounts,
    finding_upsert_many,
    findings_mark_gone,
    gone_write,
)

__all__ = ["ARCHIVED_SWEEP_EVERY", "CURSOR_OVERLAP", "FindingFeed", "findings_sync"]

# Asked again on every run: a finding written at the cursor's edge, or visible late, is not lost.
CURSOR_OVERLAP = timedelta(minutes=5)
# AWS does not document whether (un)archiving moves UpdatedAt: a pass over archived ids keeps our
# archived state right either way (docs/domain.md, GuardDuty).
ARCHIVED_SWEEP_EVERY = timedelta(hours=6)
SWEPT_KEY = "archived_swept_at"
# An incremental pass never sees a finding AWS deleted (it is in no list any more): a full pass
# at least this often makes those `gone`, whatever the schedule (docs/operations.md, Faults).
FULL_PASS_EVERY = timedelta(days=1)
FULL_KEY = "full_pass_at"
STORE_BATCH = 1000  # records per store (findings.services.upsert stages and writes them at once)
GONE_BATCH = 1000


class FindingFeed(Protocol):
    """One source's findings in one account and region, as its API gives them.

    A source whose list call returns whole findings (Inspector) may also give
    `record_pages(updated_since=)`, pages of records, used instead of `id_pages` + `records`; and
    `archived_state` (default archived), the state `archived_ids` lists (Inspector: suppressed).
    """

    source: str

    def id_pages(self, *, updated_since: datetime | None) -> Iterator[list[str]]:
        """Pages of the ids updated at or after `updated_since` (every id without it)."""
        ...

    def records(self, ids: Iterable[str]) -> Iterator[FindingRecord]:
        """The findings of `ids` (those AWS no longer has are skipped)."""
        ...

    def archived_ids(self) -> Iterable[str]:
        """The ids of every archived finding (a generator is best: they go to SQL as they come)."""
        ...


def findings_sync(ctx: SyncContext, feed: FindingFeed) -> SyncResult:
    """Collect the findings of one account and region updated since the cursor (all without one).

    AWS errors propagate (the spine records them) and then neither cursor nor state moves. A pass
    without a cursor is complete: the findings it did not get back become `gone`. Otherwise archived
    ids are swept every 6 hours, and a full pass is made once a day (FULL_PASS_EVERY) so that
    findings AWS deleted become gone. The cursor returned is the latest UpdatedAt seen. The ids a
    pass got back are kept in SQL (this connection's fetched-ids table), not in memory.
    """
    started = timezone.now()
    full = ctx.cursor is None or _due(ctx.state, FULL_KEY, started, FULL_PASS_EVERY)
    since = None if full or ctx.cursor is None else ctx.cursor - CURSOR_OVERLAP
    counts = UpsertCounts()
    newest = ctx.cursor
    fetched_reset()
    for records in _batches(_record_pages(feed, since)):
        counts += finding_upsert_many(records=records, default_account=ctx.account, remember=True)
        newest = _latest(newest, records)
    state: dict[str, Any] = dict(ctx.state)
    if full:
        _mark_unfetched_gone(ctx, feed.source)
        state[SWEPT_KEY] = state[FULL_KEY] = started.isoformat()
    elif _due(state, SWEPT_KEY, started, ARCHIVED_SWEEP_EVERY):
        counts += _archived_sweep(ctx, feed)
        state[SWEPT_KEY] = started.isoformat()
    finding_history_snapshot(accounts=ctx.accounts)
    # The reports' rollups of what this pass wrote, now, rather than by the next report.
    rollups_flush(source=feed.source, accounts=[account.pk for account in ctx.accounts])
    return SyncResult(
        new=counts.new,
        updated=counts.updated,
        unchanged=counts.unchanged,
        cursor=newest,
        state=state,
    )


def _record_pages(feed: FindingFeed, since: datetime | None) -> Iterator[list[FindingRecord]]:
    """Pages of records: from `record_pages` when the feed has it, else ids then their records."""
    record_pages = getattr(feed, "record_pages", None)
    if record_pages is not None:
        yield from record_pages(updated_since=since)
        return
    for ids in feed.id_pages(updated_since=since):
        yield list(feed.records(ids))


def _batches(pages: Iterable[list[FindingRecord]]) -> Iterator[list[FindingRecord]]:
    """The pages joined into batches of about STORE_BATCH records: one store per batch (a page of
    50 is too small a unit for the set-based store), memory bounded by the batch."""
    batch: list[FindingRecord] = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= STORE_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _mark_unfetched_gone(ctx: SyncContext, source: str) -> int:
    """After a full pass: every finding of the target not gone and not fetched becomes gone.

    The fetched ids are in this connection's fetched-ids table, so the anti-join runs in SQL and
    memory does not grow with the findings (a million ids would not fit a worker's budget).
    """
    table = Finding._meta.db_table
    # Through a delegated administrator the pass covered its members too (ctx.accounts).
    pks = [a.pk for a in ctx.accounts]
    marks = ", ".join(["%s"] * len(pks))
    sql = (
        f"SELECT f.id, f.aws_state FROM {table} f WHERE f.source = %s "  # noqa: S608
        f"AND f.account_id IN ({marks}) "
        "AND f.region = %s AND f.aws_state <> %s AND NOT EXISTS "
        f"(SELECT 1 FROM {FETCHED} t WHERE t.source_id = f.source_id) ORDER BY f.id LIMIT %s"
    )
    total = 0
    while True:
        with transaction.atomic():
            now = finding_change_time()
            with connection.cursor() as cursor:
                cursor.execute(sql, [source, *pks, ctx.region, AwsState.GONE.value, GONE_BATCH])
                rows = cursor.fetchall()
            total += gone_write(rows, now)
        if len(rows) < GONE_BATCH:
            return total


def _latest(current: datetime | None, records: list[FindingRecord]) -> datetime | None:
    times = [r.aws_updated_at for r in records if r.aws_updated_at is not None]
    if current is not None:
        times.append(current)
    return max(times) if times else None


def _mark_gone(ctx: SyncContext, source: str, source_ids: list[str]) -> int:
    return sum(
        findings_mark_gone(source=source, account=account, region=ctx.region, source_ids=source_ids)
        for account in ctx.accounts
    )


def _due(state: dict[str, Any], key: str, now: datetime, every: timedelta) -> bool:
    """Whether the pass whose last time is `state[key]` is due (also when never made)."""
    try:
        last = datetime.fromisoformat(str(state[key]))
    except (KeyError, ValueError, TypeError):
        return True
    return now - last >= every


def _archived_sweep(ctx: SyncContext, feed: FindingFeed) -> UpsertCounts:
    """Fetch again the findings whose archived state differs between AWS and us (those this pass
    fetched aside); those AWS no longer returns become gone.

    AWS's archived ids go to a temporary table and the difference is one SQL statement, so memory
    does not grow with the findings of the target; the ids to fetch are then read back a batch
    at a time.
    """
    kind = getattr(feed, "archived_state", AwsState.ARCHIVED)
    id_table_reset(ARCHIVED)
    ids_load(ARCHIVED, feed.archived_ids())
    id_table_reset(REFRESH)
    table = Finding._meta.db_table
    # Through a delegated administrator the target covers its members too (ctx.accounts).
    pks = [a.pk for a in ctx.accounts]
    marks = ", ".join(["%s"] * len(pks))
    ours = f"f.source = %s AND f.account_id IN ({marks}) AND f.region = %s AND f.aws_state = %s"
    target = [feed.source, *pks, ctx.region, kind]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {REFRESH} (source_id) SELECT x.source_id FROM ("  # noqa: S608
            f"SELECT a.source_id FROM {ARCHIVED} a WHERE NOT EXISTS (SELECT 1 FROM {table} f "
            f"WHERE f.source_id = a.source_id AND {ours}) "
            f"UNION SELECT f.source_id FROM {table} f WHERE {ours} "
            f"AND NOT EXISTS (SELECT 1 FROM {ARCHIVED} a WHERE a.source_id = f.source_id)"
            f") x WHERE NOT EXISTS (SELECT 1 FROM {FETCHED} t WHERE t.source_id = x.source_id)",
            [*target, *target],
        )
    counts = UpsertCounts()
    last = ""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_id FROM {REFRESH} WHERE source_id > %s "  # noqa: S608
                "ORDER BY source_id LIMIT %s",
                [last, STORE_BATCH],
            )
            refresh = [row[0] for row in cursor.fetchall()]
        if not refresh:
            return counts
        records = list(feed.records(refresh))
        counts += finding_upsert_many(records=records, default_account=ctx.account)
        returned = {r.source_id for r in records}
        _mark_gone(ctx, feed.source, [i for i in refresh if i not in returned])
        last = refresh[-1]
