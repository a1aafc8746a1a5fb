"""Storing what collectors found: in bulk, on the natural key, writing only what changed.

Set-based (docs/architecture.md, "Storing findings"): a chunk of records becomes plain rows (band,
category, clipped text, content hash, payload as JSON text; no model instance per row), loaded
into a temporary staging table (COPY on PostgreSQL, executemany on SQLite). Then, the same SQL on
both databases: the stored values of the rows about to change are read (those rows only), one
INSERT ... SELECT ... ON CONFLICT (source, source_id) DO UPDATE ... WHERE the hash differs (or the
finding was gone) RETURNING id writes the new and the changed rows, and their history, reopenings,
vulnerabilities and announcements follow in bulk. A chunk costs a fixed number of queries,
whatever its size.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import AwsAccount
from findings.categories import categorise, macie_is_public, macie_sensitive_categories
from findings.choices import REOPENABLE_STATUSES, AwsState, FindingEventKind, FindingStatus
from findings.models import Finding, FindingEvent
from findings.records import FindingRecord
from findings.services.clock import finding_change_time
from findings.services.staging import (
    FETCHED,
    STAGE,
    insert_defaults,
    rows_load,
    stage_reset,
)
from findings.services.vulnerability import finding_vulnerability_write
from findings.severity import severity_of, severity_rank
from findings.signals import FindingChange, finding_change_of_aws, finding_changes_announce

__all__ = [
    "AWS_FIELDS",
    "UpsertCounts",
    "finding_rows",
    "finding_upsert_many",
    "findings_mark_gone",
]

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
_COPIED = tuple(name for name in AWS_FIELDS if name not in _DERIVED)  # as the record has them
# Not worth a line in a finding's history (the payload changes with every field).
_UNLOGGED = frozenset({"raw", "content_hash", "severity_rank"})
_LOGGED = tuple(name for name in AWS_FIELDS if name not in _UNLOGGED)
CHUNK = 1000  # records per staging load and upsert statement
_STATE_EVENTS = {
    (AwsState.ACTIVE, AwsState.ARCHIVED): FindingEventKind.ARCHIVED,
    (AwsState.ARCHIVED, AwsState.ACTIVE): FindingEventKind.UNARCHIVED,
}
# The staged columns: the natural key, the owner, what AWS says.
_STAGED: tuple[Field, ...] = tuple(
    Finding._meta.get_field(name) for name in ("source", "source_id", "account", *AWS_FIELDS)
)
_JSON = frozenset(f.name for f in _STAGED if f.get_internal_type() == "JSONField")
_LIMITS = {f.name: f.max_length for f in _STAGED if f.max_length}
_EVENT_FIELDS: tuple[Field, ...] = tuple(
    FindingEvent._meta.get_field(name) for name in ("finding", "kind", "at", "changes")
)


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
    *, records: Iterable[FindingRecord], default_account: AwsAccount, remember: bool = False
) -> UpsertCounts:
    """Insert new findings, update changed ones, leave the rest untouched; history for each change.

    Keyed on (source, source_id); a record is unchanged when its content hash is the stored one, and
    then nothing is written (so `updated_at` stays). A finding belongs to the member account AWS
    names (`AccountId`) when Watchpost knows it, else to `default_account` (the one collected).
    Reopens a resolved or false-positive finding whose count grew while AWS says it is active.
    Never touches status otherwise, nor assignee or ticket_ref; never deletes. A gone finding AWS
    returns is back. With `remember`, the ids also go to this connection's fetched-ids table
    (findings.services.sync's full pass reads it to find what AWS did not return).
    """
    unique = list({(r.source, r.source_id): r for r in records}.values())
    counts = UpsertCounts()
    owners = _owners(unique, default_account)
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        counts += _upsert_chunk(chunk, owners, default_account.pk, remember)
    return counts


def _upsert_chunk(
    records: list[FindingRecord], owners: dict[str, int], default_pk: int, remember: bool
) -> UpsertCounts:
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _write(records, owners, default_pk, remember)
        except IntegrityError:
            # A writer that does not take the change clock inserted one of these keys meanwhile:
            # the second try sees it and updates instead.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _owners(records: list[FindingRecord], default_account: AwsAccount) -> dict[str, int]:
    ids = {r.account_id for r in records} - {default_account.account_id, ""}
    owners = {default_account.account_id: default_account.pk}
    if ids:
        owners.update(AwsAccount.objects.filter(account_id__in=ids).values_list("account_id", "pk"))
    return owners


def _write(
    records: list[FindingRecord], owners: dict[str, int], default_pk: int, remember: bool
) -> UpsertCounts:
    now = finding_change_time()  # first: it orders writers (see findings.services.clock)
    stage_reset(_STAGED)
    rows_load(STAGE, _STAGED, finding_rows(records, owners, default_pk))
    before = _changing()
    written = _upsert(now)
    if remember:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FETCHED} (source_id) SELECT source_id FROM {STAGE} WHERE true "  # noqa: S608
                "ON CONFLICT (source_id) DO NOTHING"
            )
    by_id = {r.source_id: r for r in records}
    created = {pk: sid for pk, sid in written.items() if pk not in before}
    changed = {pk: (before[pk], by_id[sid]) for pk, sid in written.items() if pk in before}
    _history(created, changed, now)
    reopened = _reopen(changed, now)
    finding_vulnerability_write(pairs=[(pk, by_id[sid]) for pk, sid in written.items()])
    # New (or reopened) findings a live risk acceptance matches are accepted at once.
    from findings.governance.acceptance import risk_acceptances_apply  # it uses this package

    risk_acceptances_apply(pks=[*created, *reopened], now=now)
    kinds = {pk: FindingChange.CREATED.value for pk in created}
    kinds |= {pk: finding_change_of_aws(_changes(old, new)) for pk, (old, new) in changed.items()}
    finding_changes_announce(kinds | dict.fromkeys(reopened, FindingChange.REOPENED.value))
    return UpsertCounts(
        new=len(created), updated=len(changed), unchanged=len(records) - len(written)
    )


def finding_rows(
    records: Iterable[FindingRecord], owners: Mapping[str, int], default_pk: int
) -> Iterable[tuple[Any, ...]]:
    """Each record as a staged row (the columns of _STAGED, in order): the band and categories
    derived, text clipped to its column (the payload keeps the whole string), JSON as text."""
    for record in records:
        content_hash, payload = record.hash_and_payload()
        values = _derived(record)
        values["raw"], values["content_hash"] = payload, content_hash
        row: list[Any] = [
            record.source,
            record.source_id,
            owners.get(record.account_id, default_pk),
        ]
        for name in AWS_FIELDS:
            value = values[name] if name in values else getattr(record, name)
            if name in _JSON and name != "raw":
                value = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, str) and name in _LIMITS and len(value) > _LIMITS[name]:
                value = value[: _LIMITS[name]]
            row.append(value)
        yield tuple(row)


def _derived(record: FindingRecord) -> dict[str, Any]:
    severity, rank = _band(record.source, record.severity_score, record.native_severity)
    primary, secondary = _category(record)
    return {
        "severity": severity,
        "severity_rank": rank,
        "category": primary,
        "category_tags": list(secondary),
    }


@functools.lru_cache(maxsize=4096)
def _band(source: str, score: float | None, label: str) -> tuple[str, int]:
    severity = severity_of(source=source, score=score, label=label)
    return severity.value, severity_rank(severity)


_CATEGORIES: dict[tuple[Any, ...], tuple[str | None, tuple[str, ...]]] = {}


def _category(record: FindingRecord) -> tuple[str | None, tuple[str, ...]]:
    """findings.categories' answer, cached on every input it reads: the source and type, and for
    Macie whether the data is public and whether credentials were found in it."""
    key: tuple[Any, ...] = (record.source, record.type)
    if record.source == "macie":
        credentials = "CREDENTIALS" in macie_sensitive_categories(record.raw)
        key = (*key, macie_is_public(record.raw), credentials)
    found = _CATEGORIES.get(key)
    if found is None:
        result = categorise(source=record.source, finding_type=record.type, raw=record.raw)
        found = (result.primary, tuple(result.secondary))
        if len(_CATEGORIES) < 10_000:  # types are few; a hostile flood of types is not cached
            _CATEGORIES[key] = found
    return found


_STAGE_JOIN = (
    f"SELECT f.id FROM {Finding._meta.db_table} f JOIN {STAGE} s "  # noqa: S608
    "ON f.source = s.source AND f.source_id = s.source_id "
    "WHERE f.content_hash <> s.content_hash OR f.aws_state = %s"
)


def _changing() -> dict[int, dict[str, Any]]:
    """id -> stored values (the logged fields, count, status) of the staged findings that will
    change: only those are read, however many are staged."""
    fields = ("pk", "source_id", "status", *_LOGGED)
    changing = RawSQL(_STAGE_JOIN, [AwsState.GONE.value])  # noqa: S611 (no input in it)
    rows = Finding.objects.filter(pk__in=changing).values(*fields)
    return {row["pk"]: row for row in rows}


@functools.cache
def _upsert_sql() -> tuple[str, list[str]]:
    """The INSERT ... ON CONFLICT statement and the names of its default columns."""
    quote = connection.ops.quote_name
    table = quote(Finding._meta.db_table)
    staged = [f.column for f in _STAGED]
    defaults = list(insert_defaults(Finding, staged, timezone.now()))
    columns = ", ".join(quote(c) for c in [*staged, *defaults])
    select = ", ".join([*(f"s.{quote(c)}" for c in staged), *(["%s"] * len(defaults))])
    updates = ", ".join(
        f"{quote(c)} = excluded.{quote(c)}"
        for c in [*(f.column for f in _STAGED[3:]), "updated_at"]
    )
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {select} FROM {STAGE} s WHERE true "  # noqa: S608
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates} "
        f"WHERE {table}.content_hash <> excluded.content_hash OR {table}.aws_state = %s "
        "RETURNING id, source_id"
    )
    return sql, defaults


def _upsert(now: datetime) -> dict[int, str]:
    """Insert the new, update the changed (and the returned gone); id -> source_id of both."""
    sql, names = _upsert_sql()
    defaults = insert_defaults(Finding, [f.column for f in _STAGED], now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(defaults[n] for n in names), AwsState.GONE.value])
        return dict(cursor.fetchall())


def _changes(old: Mapping[str, Any], record: FindingRecord) -> dict[str, list[Any]]:
    """[before, after] of each logged field that changed."""
    values = _derived(record)
    changes: dict[str, list[Any]] = {}
    for name in _LOGGED:
        value = values[name] if name in values else getattr(record, name)
        if isinstance(value, str) and name in _LIMITS:
            value = value[: _LIMITS[name]]
        if old[name] != value:
            changes[name] = [_jsonable(old[name]), _jsonable(value)]
    return changes


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _history(
    created: Mapping[int, str],
    changed: Mapping[int, tuple[Mapping[str, Any], FindingRecord]],
    now: datetime,
) -> None:
    """One event per new finding (`created`) and per changed one (what changed, before, after)."""
    rows: list[tuple[Any, ...]] = [
        (pk, FindingEventKind.CREATED.value, now, "{}") for pk in created
    ]
    for pk, (old, record) in changed.items():
        changes = _changes(old, record)
        rows.append((pk, _kind(changes), now, json.dumps(changes, ensure_ascii=False)))
    if rows:
        _events_load(rows)


def _events_load(rows: Sequence[tuple[Any, ...]]) -> None:
    """Append history rows (finding id, kind, at, changes as JSON text) in one load."""
    given = [f.column for f in _EVENT_FIELDS]
    extra = insert_defaults(FindingEvent, given, rows[0][2])
    fields = [*_EVENT_FIELDS, *(FindingEvent._meta.get_field(_name(c)) for c in extra)]
    tail = tuple(extra.values())
    rows_load(FindingEvent._meta.db_table, fields, (row + tail for row in rows))


def _name(column: str) -> str:
    return next(f.name for f in FindingEvent._meta.concrete_fields if f.column == column)


def _kind(changes: dict[str, list[Any]]) -> str:
    state = changes.get("aws_state")
    if state is None:
        return FindingEventKind.AWS_UPDATED
    if state[0] == AwsState.GONE:
        return FindingEventKind.RETURNED
    return _STATE_EVENTS.get((state[0], state[1]), FindingEventKind.AWS_UPDATED)


def _reopen(
    changed: Mapping[int, tuple[Mapping[str, Any], FindingRecord]], now: datetime
) -> list[int]:
    """Reopen the changed findings whose count grew while AWS says active, if still resolved or
    false positive in the database (a person may have changed the status since: theirs wins)."""
    grew = {
        pk: (old, record)
        for pk, (old, record) in changed.items()
        if record.service_count > old["service_count"]
        and record.aws_state == AwsState.ACTIVE
        and old["status"] in REOPENABLE_STATUSES
    }
    if not grew:
        return []
    still = sorted(
        Finding.objects.filter(pk__in=grew, status__in=REOPENABLE_STATUSES).values_list(
            "pk", flat=True
        )
    )
    Finding.objects.filter(pk__in=still).update(status=FindingStatus.OPEN, updated_at=now)
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.REOPENED,
            at=now,
            changes={
                "status": [grew[pk][0]["status"], FindingStatus.OPEN.value],
                "service_count": [grew[pk][0]["service_count"], grew[pk][1].service_count],
            },
        )
        for pk in still
    )
    return still


def findings_mark_gone(
    *, source: str, account: AwsAccount, region: str, source_ids: Sequence[str]
) -> int:
    """Mark findings AWS no longer returns as `gone` (never deleted); returns how many changed.

    Only findings of `account` and `region` that are not gone already; status is left alone.
    """
    ids = list(dict.fromkeys(source_ids))
    total = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            now = finding_change_time()
            rows = list(
                Finding.objects.filter(
                    source=source,
                    account=account,
                    region=region,
                    source_id__in=ids[start : start + CHUNK],
                )
                .exclude(aws_state=AwsState.GONE)
                .values_list("pk", "aws_state")
            )
            total += gone_write(rows, now)
    return total


def gone_write(rows: Sequence[tuple[int, str]], now: datetime) -> int:
    """Set (id, state before) findings gone at `now`, with their history and announcements.

    Inside the caller's transaction, after it took `now` from the change clock.
    """
    if not rows:
        return 0
    Finding.objects.filter(pk__in=[pk for pk, _s in rows]).update(
        aws_state=AwsState.GONE, updated_at=now
    )
    _events_load(
        [
            (pk, FindingEventKind.GONE.value, now, json.dumps({"aws_state": [state, "gone"]}))
            for pk, state in rows
        ]
    )
    finding_changes_announce(
        {pk: finding_change_of_aws({"aws_state": [state, "gone"]}) for pk, state in rows}
    )
    return len(rows)
