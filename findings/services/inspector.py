"""The Inspector syncer the collection spine calls for one account and region: findings through
the shared incremental sync, then the coverage snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.aws import AwsClient
from accounts.collection import SyncContext, SyncResult
from accounts.models import AwsAccount
from findings.choices import AwsState, FindingSource
from findings.collectors import inspector as collector
from findings.models import InspectorCoverage
from findings.records import FindingRecord
from findings.services.sync import findings_sync

__all__ = ["inspector_coverage_replace", "inspector_sync"]

STATE_KEY = "inspector_status"


class InspectorFeed:
    """Inspector's findings in one account and region. ListFindings returns whole findings, so
    the sync reads pages of records; the sweep (every few hours) re-reads suppressed ones."""

    source = FindingSource.INSPECTOR.value
    archived_state = AwsState.SUPPRESSED.value

    def __init__(self, client: AwsClient, account_id: str) -> None:
        self.client = client
        # raises ServiceNotEnabled when Inspector is DISABLED: never "no findings"
        self.status = collector.account_status(client, account_id)

    def record_pages(self, *, updated_since: datetime | None) -> Iterator[list[FindingRecord]]:
        return collector.finding_pages(self.client, updated_since=updated_since)

    def id_pages(self, *, updated_since: datetime | None) -> Iterator[list[str]]:
        for page in self.record_pages(updated_since=updated_since):
            yield [r.source_id for r in page]

    def records(self, ids: Iterable[str]) -> Iterator[FindingRecord]:
        return collector.findings_by_arn(self.client, ids)

    def archived_ids(self) -> Iterator[str]:
        for page in collector.finding_pages(self.client, statuses=["SUPPRESSED"]):
            yield from (r.source_id for r in page)


def inspector_sync(ctx: SyncContext) -> SyncResult:
    """Collect Inspector's findings (active, suppressed and closed) of one account and region
    updated since the cursor, then replace its coverage (see findings.services.sync).

    Raises ServiceNotEnabled when Inspector is DISABLED there; the coverage stays as last read.
    """
    client = ctx.client("inspector2")
    feed = InspectorFeed(client, ctx.account.account_id)
    result = findings_sync(ctx, feed)
    coverage = [r for page in collector.coverage_pages(client) for r in page]
    inspector_coverage_replace(account=ctx.account, region=ctx.region, records=coverage)
    state = {**(result.state or dict(ctx.state)), STATE_KEY: feed.status}
    return replace(result, state=state)


def inspector_coverage_replace(
    *, account: AwsAccount, region: str, records: Iterable[collector.CoverageRecord]
) -> int:
    """Replace the coverage of one account and region with what ListCoverage said; returns the
    row count. Resources of another account (a delegated administrator's view) are skipped."""
    now = timezone.now()
    rows = [
        InspectorCoverage(
            account=account,
            region=region,
            resource_type=r.resource_type,
            resource_id=r.resource_id[:1024],
            scan_type=r.scan_type,
            scanned=r.scanned,
            status_code=r.status_code,
            reason=r.reason,
            scan_mode=r.scan_mode,
            last_scanned_at=r.last_scanned_at,
            resource_tags=r.resource_tags,
            collected_at=now,
        )
        for r in records
        if r.account_id in ("", account.account_id)
    ]
    with transaction.atomic():
        InspectorCoverage.objects.filter(account=account, region=region).delete()
        InspectorCoverage.objects.bulk_create(rows)
    return len(rows)
