"""Keyset pages for every list, pages and API alike: as fast on page 20,000 as on page 1.

OFFSET pagination reads and throws away every row before the page, and a page count needs COUNT(*)
over the whole filtered set: both grow with the table (bench/reads.py measures it). A keyset page
asks instead for the rows after (or before) the last row shown, in the list's own ordering, which an
index on the ordering's columns (e.g. findings.models.Finding's indexes end in `id`) answers by
reading only the page. The cursor holds the ordering's values of that row and a signature of the
ordering (a cursor of another ordering is refused); the count shown is capped.

Rows may be model instances or `values()` dicts (the API's list encoder reads dicts): the ordering's
columns are added to a `values()` query when it lacks them.

The ordering is the database's own, as the API's (NULLs largest on PostgreSQL, smallest on SQLite):
the conditions place NULLs where the database does, so a row with no `last_seen` is neither skipped
nor repeated, and on PostgreSQL a plain btree index serves both directions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.db import OperationalError, connections
from django.db.models import BooleanField, F, Model, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesIterable
from psycopg.errors import QueryCanceled

__all__ = ["COUNT_CAP", "KeysetPage", "count_capped", "cursor_encode", "keys_of", "keyset_page"]

COUNT_CAP = (
    1_000  # beyond this a list says "more than 1000": counting further costs more than the page
)
COUNT_BUDGET_MS = 40  # past this a count is PostgreSQL's estimate (count_capped)


@dataclass(frozen=True)
class Key:
    """One column of the ordering: its lookup path, direction, whether it may be NULL, and where
    the database sorts NULLs (`nulls_largest`: PostgreSQL yes, SQLite no)."""

    path: str
    descending: bool
    nullable: bool
    nulls_largest: bool

    def order(self, *, reverse: bool = False) -> OrderBy:
        """The database's own order (the API's), so pages list exactly what the API lists."""
        return F(self.path).desc() if self.descending != reverse else F(self.path).asc()

    def _nulls_first(self, reverse: bool) -> bool:
        return self.nullable and (self.descending != reverse) == self.nulls_largest

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.path}__isnull": True}) if value is None else Q(**{self.path: value})

    def beyond(self, value: Any, *, reverse: bool) -> Q | None:
        """Rows strictly after `value` in this column's order (reversed for the previous page);
        None when there are none."""
        nulls_first = self._nulls_first(reverse)
        if value is None:  # NULLs are a block at one end
            return Q(**{f"{self.path}__isnull": False}) if nulls_first else None
        lookup = "lt" if self.descending != reverse else "gt"
        after = Q(**{f"{self.path}__{lookup}": value})
        if self.nullable and not nulls_first:
            after |= Q(**{f"{self.path}__isnull": True})
        return after

    def bound(self, value: Any, *, reverse: bool) -> Q | None:
        """A condition every row at or after `value` meets, redundant with `beyond` but one an index
        range scan can start from (PostgreSQL does not derive it from the OR of `beyond`)."""
        if value is None or (self.nullable and not self._nulls_first(reverse)):
            return None
        lookup = "lte" if self.descending != reverse else "gte"
        return Q(**{f"{self.path}__{lookup}": value})


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, with the cursors of the pages around it (None at either end)."""

    rows: list[Any]
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool


def keys_of(queryset: QuerySet[Any]) -> list[Key]:
    """The ordering of `queryset` as keys, with `id` last (added when missing) so rows never tie."""
    names = list(queryset.query.order_by or queryset.model._meta.ordering or [])
    nulls_largest = connections[queryset.db].features.nulls_order_largest
    keys = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError("keyset pages need an ordering by field names")
        path = name.lstrip("-")
        path = "id" if path == "pk" else path
        annotation = queryset.query.annotations.get(path)
        if annotation is not None:  # e.g. a rank computed by CASE: its output field says
            nullable = bool(annotation.output_field.null)
        else:
            nullable = _nullable(queryset.model, path)
        keys.append(Key(path, name.startswith("-"), nullable, nulls_largest))
    if not keys or keys[-1].path != "id":
        descending = keys[0].descending if keys else True
        keys.append(Key("id", descending, False, nulls_largest))
    return keys


def _nullable(model: type[Model], path: str) -> bool:
    *relations, last = path.split("__")
    for name in relations:
        field = model._meta.get_field(name)
        if field.null:
            return True
        model = field.related_model  # type: ignore[assignment]
    return bool(model._meta.get_field(last).null)


def _value_of(row: Any, path: str) -> Any:
    if not isinstance(row, Model):  # a values() row: a dict, or the list encoder's ValuesRow
        return row[path]
    value = row
    for name in path.split("__"):
        value = getattr(value, name) if value is not None else None
    return value


def _signature(keys: list[Key]) -> str:
    """A short digest of the ordering, so a cursor of another ordering is refused, not misread."""
    text = ",".join(("-" if key.descending else "") + key.path for key in keys)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def cursor_encode(row: Any, keys: list[Key], *, direction: str) -> str:
    """The position of `row` in the ordering: "n" pages after it, "p" before it."""
    values = []
    for key in keys:
        value = _value_of(row, key.path)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    text = json.dumps([direction, values, _signature(keys)], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


MAX_CURSOR_LENGTH = 4096  # a cursor of ours is far shorter; anything longer is not read


def cursor_decode(
    token: str, keys: list[Key], model: type[Model], annotations: dict[str, Any] | None = None
) -> tuple[str, list[Any]]:
    """(direction, values) of a cursor made by cursor_encode for the same ordering; raises
    ValidationError naming `cursor` for anything else."""
    try:
        if len(token) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        direction, raw, signature = json.loads(text)
        if (
            direction not in ("n", "p")
            or not isinstance(raw, list)
            or len(raw) != len(keys)
            or signature != _signature(keys)
        ):
            raise ValueError("not our cursor")
        values = [
            _parse(model, key.path, value, annotations or {})
            for key, value in zip(keys, raw, strict=True)
        ]
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        ValidationError,
    ) as exc:
        raise ValidationError(
            {"cursor": "This page link no longer fits the list: start again from the first page."}
        ) from exc
    return direction, values


def _parse(model: type[Model], path: str, value: Any, annotations: dict[str, Any]) -> Any:
    if value is None:
        return None
    if isinstance(value, list | dict) or "\0" in str(value):
        raise ValueError("not a value")
    if path in annotations:
        field = annotations[path].output_field
    else:
        *relations, last = path.split("__")
        for name in relations:
            model = model._meta.get_field(name).related_model  # type: ignore[assignment]
        field = model._meta.get_field(last)
    value = field.to_python(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a time without its zone")
        # In UTC: PostgreSQL refuses offsets beyond 15:59 (a cursor's "-23:59" would answer 500),
        # and what would overflow raises OverflowError here, refused below.
        value = value.astimezone(UTC)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("out of range")
    return value


def _after(keys: list[Key], values: list[Any], *, reverse: bool) -> Q:
    """Rows after `values` in the (possibly reversed) ordering: the OR over i of
    (keys before i equal, key i beyond), plus the leading key's bound for the index."""
    condition = Q(pk__in=[])  # false
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        beyond = key.beyond(value, reverse=reverse)
        if beyond is not None:
            condition |= prefix & beyond
        prefix &= key.equal(value)
    bound = keys[0].bound(values[0], reverse=reverse)
    return condition & bound if bound is not None else condition


def row_bound(
    queryset: QuerySet[Any], keys: list[Key], values: list[Any], *, reverse: bool
) -> RawSQL | None:
    """`(a, b, id) < (x, y, z)`: the same rows as _after, written so that PostgreSQL reads them
    from a btree index on (a, b, id) starting at the position (the OR above starts it at `a = x`
    only). Valid, hence given, only when every key is a column of the table, all in one direction,
    no value is NULL and NULLs (compared as unknown, so left out) sort before the position."""
    descending = keys[0].descending != reverse
    if any(
        "__" in key.path
        or key.path in queryset.query.annotations
        or (key.descending != reverse) != descending
        or value is None
        or (key.nullable and not key._nulls_first(reverse))
        for key, value in zip(keys, values, strict=True)
    ):
        return None
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    table = quote(queryset.model._meta.db_table)
    fields = [queryset.model._meta.get_field(key.path) for key in keys]
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    marks = ", ".join(["%s"] * len(keys))
    sql = f"({columns}) {'<' if descending else '>'} ({marks})"
    params = [f.get_db_prep_value(v, connection) for f, v in zip(fields, values, strict=True)]
    # Names from the model's metadata, quoted; values passed as parameters.
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


def with_key_columns(queryset: QuerySet[Any], keys: list[Key]) -> QuerySet[Any]:
    """A `values()` query with the ordering's columns added when it lacks them (the cursor is made
    of them); any other query as it is."""
    iterable = queryset._iterable_class
    if not issubclass(iterable, ValuesIterable):
        return queryset
    names = [*queryset.query.values_select, *queryset.query.annotation_select]
    missing = [key.path for key in keys if key.path not in names]
    if not missing:
        return queryset
    widened = queryset.values(*names, *missing)
    widened._iterable_class = iterable  # e.g. the list encoder's PlainValuesIterable
    return widened


@dataclass(frozen=True)
class Partition:
    """An ordering by a unique column of a foreign key's table, then id (e.g. a finding's account
    number): `fk` is the foreign key's column, `table` and `column` the related table's."""

    fk: str
    table: str
    pk: str
    column: str


def _partition(queryset: QuerySet[Any], keys: list[Key]) -> Partition | None:
    """The Partition of an ordering by (fk__unique_column, id) on PostgreSQL, else None.

    No index can hold another table's column, so PostgreSQL would sort every row of the first
    account to show 50. Read instead, account by account in the column's order, each account's
    rows in id order from the index on (fk, id): a LATERAL join that stops once the page is full.
    """
    if connections[queryset.db].vendor != "postgresql" or len(keys) != 2:
        return None
    first, second = keys
    if second.path != "id" or first.descending != second.descending or first.path.count("__") != 1:
        return None
    name, column = first.path.split("__")
    try:
        fk = queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not (fk.many_to_one and not fk.null):
        return None
    target = fk.related_model._meta.get_field(column)
    if not target.unique or target.null:
        return None
    related = fk.related_model._meta
    return Partition(fk.column, related.db_table, related.pk.column, target.column)


def _partitioned_rows(
    queryset: QuerySet[Any],
    keys: list[Key],
    values: list[Any] | None,
    partition: Partition,
    *,
    reverse: bool,
    size: int,
) -> list[Any]:
    """Up to size + 1 rows after `values` in an ordering by a partition column, then id: the
    page's ids by one LATERAL query over the related table, then their rows."""
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    descending = keys[0].descending != reverse
    table = quote(queryset.model._meta.db_table)
    inner = queryset.filter(**{partition.fk: RawSQL("_p.pk", ())})
    outer_where, outer_params = "", []
    if values is not None:
        # The same rows as `_p.k <> key OR id > pk`, written as a bound on id alone so that the
        # (fk, id) index starts at the position in its account (the OR read that account's rows
        # from its first, 8,000 of them 1,000 pages deep at a million findings).
        sentinel = 2**63 - 1 if descending else -(2**63)
        inner = inner.filter(
            RawSQL(  # noqa: S611 - our names; the values are parameters
                f"{table}.{quote('id')} {'<' if descending else '>'} "
                f"(CASE WHEN _p.k = %s THEN %s ELSE {sentinel} END)",
                (values[0], values[1]),
                output_field=BooleanField(),
            )
        )
        outer_where = f"WHERE {quote(partition.column)} {'<=' if descending else '>='} %s"
        outer_params = [values[0]]
    direction = "DESC" if descending else "ASC"
    try:
        inner_sql, inner_params = (
            inner.order_by(F("id").desc() if descending else F("id").asc())
            .values(_kid=F("id"))[: size + 1]
            .query.sql_with_params()
        )
    except EmptyResultSet:
        return []
    sql = (
        f"SELECT _f._kid FROM (SELECT {quote(partition.pk)} AS pk, {quote(partition.column)} AS k "  # noqa: S608 - names from the models' metadata
        f"FROM {quote(partition.table)} {outer_where}) _p "
        f"CROSS JOIN LATERAL ({inner_sql}) _f ORDER BY _p.k {direction}, _f._kid {direction} "
        f"LIMIT {int(size) + 1}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*outer_params, *inner_params])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    found = {_value_of(row, "id"): row for row in queryset.order_by().filter(id__in=ids)}
    return [found[i] for i in ids if i in found]


def keyset_page(queryset: QuerySet[Any], *, cursor: str | None, size: int) -> KeysetPage:
    """The page of `queryset` (ordered: its ordering is kept) that `cursor` points to, or the first.

    Reads size + 1 rows to know whether another page follows; never counts, never OFFSETs.
    Raises ValidationError naming `cursor` for a cursor that is not ours.
    """
    keys = keys_of(queryset)
    direction, values = ("n", None)
    if cursor:
        direction, values = cursor_decode(
            cursor, keys, queryset.model, dict(queryset.query.annotations)
        )
    reverse = direction == "p"
    queryset = with_key_columns(queryset, keys)
    partition = _partition(queryset, keys)
    if partition is not None:
        rows = _partitioned_rows(queryset, keys, values, partition, reverse=reverse, size=size)
    else:
        ordered = queryset.order_by(*(key.order(reverse=reverse) for key in keys))
        if values is not None:
            # The row comparison where it is valid (it selects exactly _after's rows, and is the
            # form an index range starts from), else the OR: not both, which cost each deep page
            # building, compiling and planning three redundant conditions.
            bound = row_bound(queryset, keys, values, reverse=reverse)
            ordered = ordered.filter(
                bound if bound is not None else _after(keys, values, reverse=reverse)
            )
        rows = list(ordered[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    if not rows:
        return KeysetPage(rows=[], next_cursor=None, previous_cursor=None, is_first=values is None)
    has_next = more if not reverse else True
    has_previous = values is not None if not reverse else more
    return KeysetPage(
        rows=rows,
        next_cursor=cursor_encode(rows[-1], keys, direction="n") if has_next else None,
        previous_cursor=cursor_encode(rows[0], keys, direction="p") if has_previous else None,
        is_first=not has_previous,
    )


def page_count(page: KeysetPage, queryset: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, exact) of the list `page` is a page of: the page's own length when it holds the
    whole list (first, and no next), with no statement; else count_capped(queryset, cap)."""
    if page.is_first and page.next_cursor is None:
        return len(page.rows), True
    return count_capped(queryset, cap)


def count_capped(
    queryset: QuerySet[Any], cap: int = COUNT_CAP, *, budget_ms: int | None = None
) -> tuple[int, bool]:
    """(count, exact): the number of rows up to `cap`, and whether that is all of them.

    COUNT over a LIMIT subquery stops reading at `cap` + 1 rows. On PostgreSQL, outside a
    transaction (a request's reads), the count has `budget_ms` (COUNT_BUDGET_MS by default): a
    filter no index narrows (free text matching a common word, with other filters) can need a
    second to find 1,001 rows. Past the budget the count is PostgreSQL's estimate of the filtered
    rows, capped, and not exact. The budget is `SET LOCAL` in the same message as the count (one
    implicit transaction): nothing else of the session is touched, and no round trip is added.
    """
    budget = COUNT_BUDGET_MS if budget_ms is None else budget_ms
    limited = queryset.order_by().values("pk")[: cap + 1]
    connection = connections[queryset.db]
    if (
        connection.vendor != "postgresql"
        or budget <= 0
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        n = limited.count()
    else:
        try:
            sql, params = limited.query.sql_with_params()
        except EmptyResultSet:
            return 0, True
        try:
            with connection.cursor() as cursor:
                # The last SET is a sacrificial statement: a timeout that fires as the count ends
                # leaves the cancel pending for the next statement (seen on a loaded machine: the
                # next request's first query failed with "canceling statement due to statement
                # timeout"); here that statement is ours, and the count falls back to the estimate.
                cursor.execute(
                    f"SET LOCAL statement_timeout = {int(budget)}; "  # noqa: S608 - our SQL, its params
                    f"SELECT COUNT(*) FROM ({sql}) _capped; "
                    "SET LOCAL statement_timeout = 0",
                    params,
                )
                cursor.nextset()
                n = int(cursor.fetchone()[0])
        except OperationalError as exc:
            if not isinstance(exc.__cause__, QueryCanceled):
                raise
            return min(_estimate(queryset), cap), False
    return (n, True) if n <= cap else (cap, False)


def _estimate(queryset: QuerySet[Any]) -> int:
    """PostgreSQL's estimate of the rows of `queryset` (its plan, not its rows)."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(0, int(plan[0]["Plan"]["Plan Rows"]))
