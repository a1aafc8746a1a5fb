"""Database pieces shared by the apps: a case-insensitive contains that a trigram index serves, and a
migration operation for indexes only PostgreSQL has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from django.db import migrations
from django.db.models import ExpressionWrapper, Lookup, Value

__all__ = ["ILikeContains", "ModelColumns", "PostgresOnlyAddIndex"]


class ILikeContains(Lookup):
    """`lhs ILIKE '%value%'` (the value's % and _ taken literally): the form a pg_trgm GIN index on
    `lhs` answers. Django's `icontains` writes `UPPER(lhs) LIKE UPPER(...)`, which no such index
    serves. On SQLite it is its `icontains` (LIKE, ASCII letters in any case)."""

    lookup_name = "ilike_contains"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: str) -> None:
        super().__init__(lhs, Value(rhs))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = compiler.compile(self.lhs)
        pattern = f"%{connection.ops.prep_for_like_query(self.rhs.value)}%"
        if connection.vendor == "postgresql":
            return f"{lhs} ILIKE %s", (*lhs_params, pattern)
        # SQLite's LIKE ignores the case of ASCII letters, as its icontains does.
        return f"{lhs} LIKE %s ESCAPE '\\'", (*lhs_params, pattern)


class PostgresOnlyAddIndex(migrations.AddIndex):
    """AddIndex for an index only PostgreSQL has (GIN, pg_trgm): recorded in the model state on
    every database, created on PostgreSQL only (SQLite, the demo's database, has no such index)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def use_compiled_time_loader(connection: Any) -> None:
    """Read `timestamptz` with psycopg's compiled loader on this connection (in Django's zone).

    Django registers a loader of its own that subclasses psycopg's pure-Python one, which parses
    every time with a regular expression: at a page of 500 findings with six times each, most of
    the time spent reading the rows. When psycopg's binary package is installed (as Watchpost's
    dependencies ask), the compiled loader answers the same aware datetimes. Nothing changes
    otherwise.

    The compiled class cannot be subclassed, and Django asks the registered class for its
    `timezone` (to decide whether a cursor needs a loader of its own), so a Python class holding
    that attribute is registered whose constructor hands back the compiled loader itself: psycopg
    then calls C for every time, no Python at all. That loader answers times in the session's zone
    (psycopg's `info.timezone`), which is Django's (Django sets it on connecting); were they ever to
    differ, a Python wrapper re-zones each value instead.
    """
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.pq import Format
    from psycopg.types.datetime import TimestamptzLoader

    oid = psycopg.postgres.types["timestamptz"].oid
    compiled = psycopg.adapters.get_loader(oid, Format.TEXT)
    if compiled is None or compiled is TimestamptzLoader:  # no compiled loader: keep Django's
        return
    zone = connection.timezone
    loader_class: Any = compiled

    if connection.connection.info.timezone == zone:

        class CompiledTzLoader(Loader):
            timezone = zone  # what Django reads; the loader psycopg uses is the compiled one

            def __new__(cls, oid: int, context: Any = None) -> Any:
                return loader_class(oid, context)

    else:

        class CompiledTzLoader(Loader):  # type: ignore[no-redef]
            timezone = zone

            def __init__(self, oid: int, context: Any = None) -> None:
                super().__init__(oid, context)
                self._compiled = loader_class(oid, context)

            def load(self, data: Any) -> Any:
                return self._compiled.load(data).astimezone(zone)

    connection.connection.adapters.register_loader(oid, CompiledTzLoader)


class ModelColumns:
    """Every concrete column of a model under a table alias, for a hand-written SELECT on a hot
    path (each API request's token), and the instance made from those columns of a row, with the
    database's converters applied as the ORM applies them (SQLite's times are text, for one).

    The ORM builds and compiles such a query anew on every call: for a two-table lookup that is
    most of a millisecond of Python, per request; this text is made once per process.
    """

    def __init__(self, model: type[Any], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        # Per connection object (one a thread), weakly: a closed thread's connection goes.
        self._made: WeakKeyDictionary[Any, list[tuple[Any, list[Any]]]] = WeakKeyDictionary()

    def select(self, connection: Any) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(f.column)}" for f in self.fields)

    def _converters(self, connection: Any) -> list[tuple[Any, list[Any]]]:
        """(column, its converters) per field, made once per connection object (a thread's)."""
        made = self._made.get(connection)
        if made is None:
            made = []
            for field in self.fields:
                column = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                made.append((column, converters))
            self._made[connection] = made
        return made

    def instance(self, connection: Any, values: Sequence[Any]) -> Any:
        """The model instance of `values` (this model's columns, in select()'s order)."""
        converted = []
        for (column, converters), value in zip(self._converters(connection), values, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


class CompiledOnce(ExpressionWrapper):
    """`expression`, compiled once per database (alias and vendor) and reused: for an expression
    held by a query built once per process and cloned per request (findings.selectors'
    finding_rows_for_user: the SLA's CASE with its subquery cost a quarter of the list's SQL
    compilation). Its SQL names the query's own table by its name, which a query keeps unless it
    is relabelled (made a subquery): a relabelled or resolved copy compiles afresh."""

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, output_field=expression.output_field)
        self._compiled: dict[tuple[str, str], tuple[str, Any]] = {}

    def copy(self) -> Any:
        clone = super().copy()
        clone._compiled = {}
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        key = (connection.alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = compiler.compile(self.expression)
        sql, params = compiled
        return sql, type(params)(params)
