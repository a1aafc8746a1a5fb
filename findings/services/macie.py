"""The Macie syncer the collection spine calls for one account and region."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from accounts.aws import AwsClient
from accounts.collection import SyncContext, SyncResult
from findings.choices import FindingSource
from findings.collectors import macie as collector
from findings.records import FindingRecord
from findings.services.sync import findings_sync

__all__ = ["macie_sync"]


class MacieFeed:
    """Macie's findings in one account and region."""

    source = FindingSource.MACIE.value

    def __init__(self, client: AwsClient) -> None:
        self.client = client
        collector.session_check(client)  # raises ServiceNotEnabled when Macie is off

    def id_pages(self, *, updated_since: datetime | None) -> Iterator[list[str]]:
        return collector.finding_id_pages(self.client, updated_since=updated_since)

    def records(self, ids: Iterable[str]) -> Iterator[FindingRecord]:
        return collector.findings_get(self.client, ids)

    def archived_ids(self) -> Iterator[str]:
        for page in collector.finding_id_pages(self.client, archived=True):
            yield from page


def macie_sync(ctx: SyncContext) -> SyncResult:
    """Collect Macie's findings of one account and region (see findings.services.sync).

    Raises ServiceNotEnabled when Macie is off in the region.
    """
    return findings_sync(ctx, MacieFeed(ctx.client("macie2")))
