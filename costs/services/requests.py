"""The record of Cost Explorer requests: every one costs USD 0.01, each page counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from accounts.aws import CallCounter
from accounts.models import AwsAccount
from costs.models import CeRequestLog

__all__ = ["ce_requests_counted", "ce_requests_record"]


def ce_requests_record(
    *, payer: AwsAccount, purpose: str, operations: dict[str, int]
) -> CeRequestLog | None:
    """Store how many Cost Explorer requests were made, by operation; nothing when none were."""
    total = sum(operations.values())
    if total == 0:
        return None
    return CeRequestLog.objects.create(
        payer=payer, purpose=purpose, requests=total, operations=dict(operations)
    )


@contextmanager
def ce_requests_counted(*, counter: CallCounter, payer: AwsAccount, purpose: str) -> Iterator[None]:
    """Record the Cost Explorer requests `counter` sees inside the block, even when it raises (a
    failed sync has still been billed for the requests it made)."""
    before = Counter(counter.counts)
    try:
        yield
    finally:
        after = Counter(counter.counts)
        operations = {
            key.split(":", 1)[1]: after[key] - before[key]
            for key in after
            if key.startswith("ce:") and after[key] > before[key]
        }
        ce_requests_record(payer=payer, purpose=purpose, operations=operations)
