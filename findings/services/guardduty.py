"""The GuardDuty syncer the collection spine calls for one account and region."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from accounts.aws import AwsClient
from accounts.collection import SyncContext, SyncResult
from findings.choices import FindingSource
from findings.collectors import guardduty as collector
from findings.records import FindingRecord
from findings.services.sync import ARCHIVED_SWEEP_EVERY, CURSOR_OVERLAP, findings_sync

__all__ = ["ARCHIVED_SWEEP_EVERY", "CURSOR_OVERLAP", "guardduty_sync"]


class GuardDutyFeed:
    """GuardDuty's findings in one region, through its detector."""

    source = FindingSource.GUARDDUTY.value

    def __init__(self, client: AwsClient) -> None:
        self.client = client
        self.detector = collector.detector_id(client)  # raises ServiceNotEnabled without one

    def id_pages(self, *, updated_since: datetime | None) -> Iterator[list[str]]:
        return collector.finding_id_pages(self.client, self.detector, updated_since=updated_since)

    def records(self, ids: Iterable[str]) -> Iterator[FindingRecord]:
        return collector.findings_get(self.client, self.detector, ids)

    def archived_ids(self) -> Iterator[str]:
        for page in collector.archived_finding_id_pages(self.client, self.detector):
            yield from page


def guardduty_sync(ctx: SyncContext) -> SyncResult:
    """Collect GuardDuty's findings of one account and region (see findings.services.sync).

    Raises ServiceNotEnabled when the region has no detector.
    """
    return findings_sync(ctx, GuardDutyFeed(ctx.client("guardduty")))
