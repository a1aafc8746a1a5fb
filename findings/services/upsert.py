"""Storing what collectors found: in bulk, on the natural key, writing only what changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import AwsAccount
from findings.categories import categorise
from findings.choices import REOPENABLE_STATUSES, AwsState, FindingEventKind, FindingStatus
from findings.models import Finding, FindingEvent
from findings.records import FindingRecord
from findings.services.clock import finding_change_time
from findings.services.vulnerability import finding_vulnerability_write
from findings.severity import severity_of, severity_rank
from findings.signals import FindingChange, finding_change_of_aws, finding_changes_announce

__all__ = ["UpsertCounts", "finding_upsert_many", "findings_mark_gone"]

# Fields a collect writes (the band and categories derived from AWS's data); never status,
# assignee or ticket_ref (ours, not AWS's).
AWS_FIELDS: tuple[str, ...] = (
    "region",
    "type",
    "title",
    "description",
    "severity",
    "severity_rank",
    "severity_score",
    "native_severity",
    "aws_state",
    "service_count",
    "first_seen",
    "last_seen",
    "aws_created_at",
    "aws_updated_at",
    "resource_type",
    "resource_id",
    "action_type",
    "remote_ip",
    "port",
    "domain",
    "country",
    "country_code",
    "organisation",
    "asn",
    "threat_list_name",
    "bucket",
    "object_key",
    "sensitive_data",
    "public_access",
    "identity_type",
    "category",
    "category_tags",
    "raw",
    "content_hash",
)
_DERIVED = frozenset(
    {"severity", "severity_rank", "category", "category_tags", "raw", "content_hash"}
)
# Not worth a line in a finding's history (the payload changes with every field).
_UNLOGGED = frozenset({"raw", "content_hash", "severity_rank"})
_CHUNK = 200  # rows per query: well inside SQLite's and PostgreSQL's parameter limits
_STATE_EVENTS = {
    (AwsState.ACTIVE, AwsState.ARCHIVED): FindingEventKind.ARCHIVED,
    (AwsState.ARCHIVED, AwsState.ACTIVE): FindingEventKind.UNARCHIVED,
}


@dataclass
class UpsertCounts:
    """How many records were new, updated, or already stored as they are."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def finding_upsert_many(
    *, records: Iterable[FindingRecord], default_account: AwsAccount
) -> UpsertCounts:
    """Insert new findings, update changed ones, leave the rest untouched; history for each change.

    Keyed on (source, source_id); a record is unchanged when its content hash is the stored one, and
    then nothing is written (so `updated_at` stays). A finding belongs to the member account AWS
    names (`AccountId`) when Watchpost knows it, else to `default_account` (the one collected).
    Reopens a resolved or false-positive finding whose count grew while AWS says it is active.
    Never touches status otherwise, nor assignee or ticket_ref; never deletes.
    """
    unique = list({(r.source, r.source_id): r for r in records}.values())
    counts = UpsertCounts()
    for start in range(0, len(unique), _CHUNK):
        counts += _upsert_chunk(unique[start : start + _CHUNK], default_account)
    return counts


def _upsert_chunk(records: list[FindingRecord], default_account: AwsAccount) -> UpsertCounts:
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _write(records, default_account)
        except IntegrityError:
            # Another run inserted one of these keys between our read and our insert (a delegated
            # administrator and its member can list the same finding): read again, then update.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _write(records: list[FindingRecord], default_account: AwsAccount) -> UpsertCounts:
    now = finding_change_time()
    existing = _existing(records)
    owners = _owners(records, default_account)
    created: list[Finding] = []
    changed: list[tuple[Finding, dict[str, list[Any]], int]] = []
    counts = UpsertCounts()
    for record in records:
        values = _values(record)
        finding = existing.get((record.source, record.source_id))
        if finding is None:
            created.append(
                Finding(
                    source=record.source,
                    source_id=record.source_id,
                    account_id=owners.get(record.account_id, default_account.pk),
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        elif finding.content_hash == values["content_hash"] and finding.aws_state != AwsState.GONE:
            counts.unchanged += 1  # a gone finding AWS returns again, even unchanged, is back
        else:
            changed.append((finding, *_apply(finding, values, now)))
    _insert(created, now)
    _update(changed, now)
    by_key = {(r.source, r.source_id): r for r in records}
    finding_vulnerability_write(
        pairs=[(f.pk, by_key[(f.source, f.source_id)]) for f in created]
        + [(f.pk, by_key[(f.source, f.source_id)]) for f, _c, _n in changed]
    )
    counts.new, counts.updated = len(created), len(changed)
    return counts


def _existing(records: list[FindingRecord]) -> dict[tuple[str, str], Finding]:
    by_source: dict[str, list[str]] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record.source_id)
    found: dict[tuple[str, str], Finding] = {}
    for source, ids in by_source.items():
        # The payload is not read back: it is compared through the hash and written whole.
        for finding in Finding.objects.filter(source=source, source_id__in=ids).defer("raw"):
            found[(finding.source, finding.source_id)] = finding
    return found


def _owners(records: list[FindingRecord], default_account: AwsAccount) -> dict[str, int]:
    ids = {r.account_id for r in records} - {default_account.account_id, ""}
    owners = {default_account.account_id: default_account.pk}
    if ids:
        owners.update(AwsAccount.objects.filter(account_id__in=ids).values_list("account_id", "pk"))
    return owners


def _values(record: FindingRecord) -> dict[str, Any]:
    """The model's values for a record: band derived here, text clipped to the columns."""
    severity = severity_of(
        source=record.source, score=record.severity_score, label=record.native_severity
    )
    values: dict[str, Any] = {
        name: getattr(record, name) for name in AWS_FIELDS if name not in _DERIVED
    }
    categorisation = categorise(source=record.source, finding_type=record.type, raw=record.raw)
    values.update(
        category=categorisation.primary,
        category_tags=list(categorisation.secondary),
        severity=severity.value,
        severity_rank=severity_rank(severity),
        raw=record.raw,
        content_hash=record.content_hash(),
    )
    for name, value in values.items():
        limit = Finding._meta.get_field(name).max_length
        if limit and isinstance(value, str) and len(value) > limit:
            values[name] = value[:limit]  # the payload keeps the whole string
    return values


def _apply(
    finding: Finding, values: dict[str, Any], now: datetime
) -> tuple[dict[str, list[Any]], int]:
    """Set the new values on `finding`; returns what changed and the count before."""
    old_count = finding.service_count
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        if name in _UNLOGGED:
            setattr(finding, name, value)
            continue
        before = getattr(finding, name)
        if before != value:
            changes[name] = [_jsonable(before), _jsonable(value)]
            setattr(finding, name, value)
    finding.updated_at = now
    return changes, old_count


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _insert(created: list[Finding], now: datetime) -> None:
    if not created:
        return
    Finding.objects.bulk_create(created)
    FindingEvent.objects.bulk_create(
        FindingEvent(finding_id=f.pk, kind=FindingEventKind.CREATED, at=now) for f in created
    )
    finding_changes_announce({f.pk: FindingChange.CREATED for f in created})


def _update(changed: list[tuple[Finding, dict[str, list[Any]], int]], now: datetime) -> None:
    if not changed:
        return
    Finding.objects.bulk_update([f for f, _c, _n in changed], [*AWS_FIELDS, "updated_at"])
    events: list[FindingEvent] = []
    reopen: list[tuple[Finding, int]] = []
    for finding, changes, old_count in changed:
        events.append(
            FindingEvent(finding_id=finding.pk, kind=_kind(changes), at=now, changes=changes)
        )
        grew = finding.service_count > old_count
        if grew and finding.aws_state == AwsState.ACTIVE and finding.status in REOPENABLE_STATUSES:
            reopen.append((finding, old_count))
    reopened = _reopen(reopen, now)
    events.extend(reopened)
    FindingEvent.objects.bulk_create(events)
    kinds = {f.pk: finding_change_of_aws(changes) for f, changes, _n in changed}
    finding_changes_announce(kinds | {e.finding_id: FindingChange.REOPENED for e in reopened})


def _kind(changes: dict[str, list[Any]]) -> str:
    state = changes.get("aws_state")
    if state is None:
        return FindingEventKind.AWS_UPDATED
    if state[0] == AwsState.GONE:
        return FindingEventKind.RETURNED
    return _STATE_EVENTS.get((state[0], state[1]), FindingEventKind.AWS_UPDATED)


def _reopen(findings: list[tuple[Finding, int]], now: datetime) -> list[FindingEvent]:
    """Reopen only those still resolved or false positive in the database (a person may have
    changed the status since we read it: theirs wins)."""
    if not findings:
        return []
    by_pk = {f.pk: (f, n) for f, n in findings}
    still = set(
        Finding.objects.filter(pk__in=by_pk, status__in=REOPENABLE_STATUSES).values_list(
            "pk", flat=True
        )
    )
    Finding.objects.filter(pk__in=still).update(status=FindingStatus.OPEN, updated_at=now)
    return [
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.REOPENED,
            at=now,
            changes={
                "status": [by_pk[pk][0].status, FindingStatus.OPEN.value],
                "service_count": [by_pk[pk][1], by_pk[pk][0].service_count],
            },
        )
        for pk in sorted(still)
    ]


def findings_mark_gone(
    *, source: str, account: AwsAccount, region: str, source_ids: Sequence[str]
) -> int:
    """Mark findings AWS no longer returns as `gone` (never deleted); returns how many changed.

    Only findings of `account` and `region` that are not gone already; status is left alone.
    """
    ids = list(dict.fromkeys(source_ids))
    total = 0
    for start in range(0, len(ids), _CHUNK):
        with transaction.atomic():
            now = finding_change_time()
            rows = list(
                Finding.objects.filter(
                    source=source,
                    account=account,
                    region=region,
                    source_id__in=ids[start : start + _CHUNK],
                )
                .exclude(aws_state=AwsState.GONE)
                .values_list("pk", "aws_state")
            )
            if not rows:
                continue
            Finding.objects.filter(pk__in=[pk for pk, _s in rows]).update(
                aws_state=AwsState.GONE, updated_at=now
            )
            FindingEvent.objects.bulk_create(
                FindingEvent(
                    finding_id=pk,
                    kind=FindingEventKind.GONE,
                    at=now,
                    changes={"aws_state": [state, AwsState.GONE.value]},
                )
                for pk, state in rows
            )
            finding_changes_announce(
                {pk: finding_change_of_aws({"aws_state": [state, "gone"]}) for pk, state in rows}
            )
            total += len(rows)
    return total
