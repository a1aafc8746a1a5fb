"""Bulk rows for the store path: temporary staging tables and the fastest load each database has.

PostgreSQL loads with COPY (psycopg 3's `cursor.copy`), SQLite with executemany; everything after
the load is the same SQL on both (see findings.services.upsert). Rows are plain tuples in the
order of the columns named: no model instance per row. JSON columns take JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Field, Model

__all__ = [
    "ARCHIVED",
    "FETCHED",
    "REFRESH",
    "STAGE",
    "fetched_reset",
    "id_table_reset",
    "ids_load",
    "insert_defaults",
    "rows_load",
    "stage_reset",
]

STAGE = "finding_stage"  # one chunk of records, as finding rows (emptied at every chunk and commit)
FETCHED = "finding_fetched"  # the ids a pass got back, for "what did AWS not return"
ARCHIVED = "finding_archived"  # the ids AWS lists as archived (the archived sweep)
REFRESH = "finding_refresh"  # the ids whose archived state differs between AWS and us


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def stage_reset(fields: Sequence[Field], table: str = STAGE) -> None:
    """Create (once per connection) and empty the staging table with the columns of `fields`.

    Temporary: it lives in this connection only; on PostgreSQL its rows also go at every commit.
    """
    columns = ", ".join(
        f"{connection.ops.quote_name(f.column)} {f.db_type(connection)}" for f in fields
    )
    suffix = " ON COMMIT DELETE ROWS" if _is_postgres() else ""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({columns}){suffix}")
        # Inside an outer transaction (tests, a caller's atomic) the last chunk's rows are still here.
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our table name)


def fetched_reset() -> None:
    """Create (once per connection) and empty the table of ids a pass got back."""
    id_table_reset(FETCHED)


def id_table_reset(table: str) -> None:
    """Create (once per connection) and empty a temporary table of finding ids (`source_id`),
    kept across this connection's transactions."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} (source_id varchar(512) PRIMARY KEY)"
        )
        cursor.execute(f"{'TRUNCATE' if _is_postgres() else 'DELETE FROM'} {table}")


def ids_load(table: str, ids: Iterable[str], *, chunk: int = 10_000) -> None:
    """Add `ids` to a table of id_table_reset (duplicates once), `chunk` at a time: memory is a
    chunk's, however many ids come."""
    from findings.models import Finding

    field = Finding._meta.get_field("source_id")
    batch: list[str] = []

    def flush() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE}_ids (source_id text)")
            cursor.execute(f"DELETE FROM {STAGE}_ids")  # noqa: S608 (our table names)
            rows_load(f"{STAGE}_ids", [field], ((i,) for i in dict.fromkeys(batch)))
            cursor.execute(
                f"INSERT INTO {table} (source_id) SELECT source_id FROM {STAGE}_ids "  # noqa: S608
                "WHERE true ON CONFLICT (source_id) DO NOTHING"
            )
        batch.clear()

    for finding_id in ids:
        batch.append(str(finding_id))
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()


def rows_load(table: str, columns: Sequence[Field], rows: Iterable[Sequence[Any]]) -> None:
    """Append `rows` (tuples in the order of `columns`) to `table`: COPY or executemany."""
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    with connection.cursor() as cursor:
        if _is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = [_sqlite_adapter(f) for f in columns]
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 (model names)
            [[a(v) if a else v for a, v in zip(adapt, row, strict=True)] for row in rows],
        )


def _sqlite_adapter(field: Field) -> Any:
    """SQLite keeps datetimes as naive UTC text in Django's format: adapt as the ORM does."""
    if field.get_internal_type() != "DateTimeField":
        return None

    def adapt(value: Any) -> Any:
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    return adapt


def insert_defaults(model: type[Model], given: Iterable[str], now: datetime) -> dict[str, Any]:
    """column -> database value for every other concrete column of `model` on insert: `now` for
    the timestamps, the field's default otherwise (so a field added later needs no change here)."""
    skip = set(given)
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in skip:
            continue
        value = now if field.column in ("created_at", "updated_at") else field.get_default()
        values[field.column] = field.get_db_prep_save(value, connection)
    return values
