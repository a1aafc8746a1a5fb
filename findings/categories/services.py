"""Recomputing the alert categories of stored findings when findings.categories changes."""

from __future__ import annotations

from django.db import transaction

from findings.categories import categorise
from findings.choices import FindingEventKind, FindingSource
from findings.models import Finding, FindingEvent
from findings.services.clock import finding_change_time

__all__ = ["findings_recategorise"]

_BATCH = 500


def findings_recategorise() -> int:
    """Recompute every GuardDuty and Macie finding's category and tags; write only the changed ones.

    A changed finding's `updated_at` moves (our copy changed) and its history records the change.
    Returns how many changed.
    """
    changed = 0
    candidates = (
        Finding.objects.filter(source__in=[FindingSource.GUARDDUTY, FindingSource.MACIE])
        .only("pk", "source", "type", "raw", "category", "category_tags")
        .order_by("pk")
    )
    batch: list[tuple[Finding, str | None, list[str]]] = []
    for finding in candidates.iterator(chunk_size=_BATCH):
        result = categorise(source=finding.source, finding_type=finding.type, raw=finding.raw)
        tags = list(result.secondary)
        if (finding.category, finding.category_tags) != (result.primary, tags):
            batch.append((finding, result.primary, tags))
        if len(batch) >= _BATCH:
            changed += _write(batch)
            batch = []
    return changed + (_write(batch) if batch else 0)


def _write(batch: list[tuple[Finding, str | None, list[str]]]) -> int:
    with transaction.atomic():
        now = finding_change_time()
        events = []
        for finding, primary, tags in batch:
            events.append(
                FindingEvent(
                    finding_id=finding.pk,
                    kind=FindingEventKind.AWS_UPDATED,
                    at=now,
                    changes={
                        "category": [finding.category, primary],
                        "category_tags": [finding.category_tags, tags],
                    },
                )
            )
            finding.category, finding.category_tags, finding.updated_at = primary, tags, now
        Finding.objects.bulk_update(
            [f for f, _p, _t in batch], ["category", "category_tags", "updated_at"]
        )
        FindingEvent.objects.bulk_create(events)
    return len(batch)
