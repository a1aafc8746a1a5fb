"""Lists encoded from `values()` rows, exactly as their serializer would, without a DRF field per row.

A DRF serializer builds a field object tree and calls `to_representation` on each field of each row:
at a page of 500 findings that is most of the request. `RowEncoder` reads the serializer's declared
fields once, per serializer class, and derives from them

- the `values()` columns the list selects (a field's `source`, dots as `__`: `account.account_id`
  is `account__account_id`; a slug related field adds its slug), and
- per field, how to turn that column into what the field would answer: the value itself where the
  field would hand it back unchanged (text, choices, integers, booleans, floats, JSON), times as
  aware datetimes in the current zone (ISO 8601 written by the renderer, as DRF's field writes
  them: `Z` for UTC, every microsecond), and the field's own `to_representation` for any other
  type (decimals, dates): always exact, merely slower.

Rows are read by position. PlainValuesIterable keeps each row as the tuple the database driver
made (a ValuesRow, readable by column name too, for the paginators' keys); the plan is compiled,
once per order of columns, into one function that unpacks that tuple into locals and returns one
dict literal. In the API's lists (JsonTextValuesIterable), a JSON column is the text PostgreSQL
sent, written into the answer as it is (an orjson.Fragment), never parsed and written again.

`encode()` answers an `EncodedRows` list: core.api.renderers writes its times with orjson's own
(compiled) ISO 8601, exactly the text DRF's DateTimeField answers, instead of a Python call per time.

The serializer stays the source of truth (and of the OpenAPI schema): a field the encoder cannot
derive (a method field, a property, a nested serializer) must be declared by the serializer in
`computed_columns` with the columns it needs and a function of those columns (Computed), or the
encoder refuses it when it is built (ImproperlyConfigured), never guesses. tests/core/test_encoder.py proves, per
list, that the encoder answers what the serializer answers for every field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

import orjson
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import JSONField, Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

__all__ = ["Computed", "EncodedRows", "RowEncoder", "ValuesRow", "encoder_for", "values_row_class"]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Computed:
    """A serializer field the encoder cannot derive: the `values()` columns it needs and the
    function that answers what the field would, given those columns' values as positional
    arguments in `needs` order (no row mapping is built: the encoder reads rows by position)."""

    needs: tuple[str, ...]
    value: Callable[..., Any]
    # The value is a time the serializer writes as DRF's DateTimeField does (ISO 8601, in the
    # current zone): handed to the renderer as a datetime, as the encoder's own time columns are.
    time: bool = False
    # The function also takes the time of the page (an aware datetime, read once per encode()
    # call) as its last argument: every row of a page judged at the same instant.
    clock: bool = False
    # The field is null, with no call, where this column (selected too, not passed) is null: a
    # one-to-one relation the row does not have (DRF answers null for it too).
    null_without: str | None = None


# Fields whose to_representation hands a database value back unchanged (None is never passed).
_AS_IS = (
    drf_fields.CharField,
    drf_fields.ChoiceField,
    drf_fields.IntegerField,
    drf_fields.BooleanField,
    drf_fields.FloatField,
    drf_fields.JSONField,
    drf_fields.ReadOnlyField,
)


class EncodedRows(list):
    """Rows from RowEncoder.encode: what the serializer answers, times still datetimes (aware, in
    the zone the serializer would use), for core.api.renderers to write as DRF would."""


def _zone(zone: tzinfo | None) -> tzinfo:
    """The current zone, UTC as the object PostgreSQL's times carry (so a time already in it is
    handed on as it is, with no call)."""
    zone = zone or timezone.get_current_timezone()
    return UTC if getattr(zone, "key", None) in ("UTC", "Etc/UTC") else zone


class _Time:
    """DRF's DateTimeField for an aware time, as the datetime the renderer writes in ISO 8601
    (`Z` for UTC): the time in the current zone; a naive or odd value goes through the field."""

    def __init__(self, field: drf_fields.DateTimeField) -> None:
        self.field = field

    def __call__(self, value: Any, zone: Any) -> Any:
        if not isinstance(value, datetime) or value.tzinfo is None:
            return self.field.to_representation(value)
        return value.astimezone(_zone(zone))


class _ComputedTime(_Time):
    """A computed time (Computed.time): its function of the columns, then what _Time answers."""

    def __init__(self, value: Callable[..., Any]) -> None:
        super().__init__(drf_fields.DateTimeField())
        self.value = value


def _computed_time_text(value: Callable[..., Any]) -> Callable[..., Any]:
    field = drf_fields.DateTimeField()

    def text(*args: Any) -> Any:
        due = value(*args)
        return None if due is None else field.to_representation(due)

    return text


def _datetime_formatter(field: drf_fields.DateTimeField) -> Callable[..., Any] | None:
    """The fast formatter for DRF's ISO 8601 output; None (use the field) for any other."""
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output is None or output.lower() != ISO_8601 or hasattr(field, "timezone"):
        return None
    return _Time(field)


def _model_path(model: type[Model], source: str) -> str:
    """The `values()` path of a dotted `source`, checked against the model (a property or a
    method is refused: it has no column)."""
    parts = source.split(".")
    current = model
    for i, name in enumerate(parts):
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(
                f"{model.__name__}.{source} is not a column: declare it in computed_columns"
            ) from exc
        if i < len(parts) - 1:
            if not field.is_relation or field.many_to_many or field.one_to_many:
                raise ImproperlyConfigured(f"{model.__name__}.{source}: not a single relation")
            current = field.related_model  # type: ignore[assignment]
    return "__".join(parts)


class _Step:
    """One field of the plan: its name, the columns it reads (one for a column, a Computed's
    `needs`), and how it turns them into the field's value."""

    __slots__ = ("clock", "columns", "computed", "convert", "name", "null_without")

    def __init__(
        self,
        name: str,
        columns: tuple[str, ...],
        convert: Callable[..., Any] | None,
        *,
        computed: bool = False,
        clock: bool = False,
        null_without: str | None = None,
    ) -> None:
        self.name, self.columns, self.convert = name, columns, convert
        self.computed, self.clock, self.null_without = computed, clock, null_without


class RowEncoder:
    """Encodes `values()` rows as `serializer_class` would encode the model instances.

    Rows are read by position: a row of PlainValuesIterable (ValuesRow, the tuple the database
    driver made) is unpacked into local names at C speed by a function compiled for its columns'
    order, with no dict per row; a mapping (Django's own values() dicts) is read in its keys'
    order the same way."""

    def __init__(
        self,
        serializer_class: type[serializers.ModelSerializer],
        *,
        prefix: str = "",
        exclude: Iterable[str] = (),
    ) -> None:
        model = serializer_class.Meta.model
        computed: dict[str, Computed] = getattr(serializer_class, "computed_columns", {})
        skip = set(exclude)
        self.columns: list[str] = []
        self.plan: list[_Step] = []
        for name, field in serializer_class().fields.items():
            if field.write_only or name in skip:
                continue
            if name in computed:
                spec = computed[name]
                needs = tuple(prefix + column for column in spec.needs)
                self._need(*needs)
                convert: Callable[..., Any]
                if spec.time and _datetime_formatter(drf_fields.DateTimeField()):
                    convert = _ComputedTime(spec.value)
                elif spec.time:  # a format other than ISO 8601: DRF's field writes it
                    convert = _computed_time_text(spec.value)
                else:
                    convert = spec.value
                without = None if spec.null_without is None else prefix + spec.null_without
                if without is not None:
                    self._need(without)
                self.plan.append(
                    _Step(
                        name, needs, convert, computed=True, clock=spec.clock, null_without=without
                    )
                )
                continue
            path, column_convert = self._derive(model, name, field)
            self._need(prefix + path)
            self.plan.append(_Step(name, (prefix + path,), column_convert))
        self.times = any(isinstance(step.convert, _Time) for step in self.plan)
        self.clock = any(step.clock for step in self.plan)
        self._compiled: dict[tuple[str, ...], Callable[..., dict[str, Any]]] = {}

    def _need(self, *columns: str) -> None:
        for column in columns:
            if column not in self.columns:
                self.columns.append(column)

    @staticmethod
    def _derive(
        model: type[Model], name: str, field: drf_fields.Field
    ) -> tuple[str, Callable[..., Any] | None]:
        if (
            isinstance(
                field,
                drf_fields.SerializerMethodField
                | serializers.BaseSerializer
                | relations.ManyRelatedField
                | drf_fields.HiddenField,
            )
            or field.source == "*"
        ):
            raise ImproperlyConfigured(
                f"{name}: a {type(field).__name__} has no column; declare it in computed_columns"
            )
        source = field.source or name
        path = _model_path(model, source)
        if isinstance(field, relations.SlugRelatedField):
            return _model_path(model, f"{source}.{field.slug_field}"), None
        if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
            return path, None
        if isinstance(field, drf_fields.DateTimeField):
            return path, _datetime_formatter(field) or field.to_representation
        if isinstance(field, _AS_IS) and not isinstance(field, relations.RelatedField):
            return path, None
        return path, field.to_representation

    def values_encoder(self, names: Sequence[str]) -> Callable[..., dict[str, Any]]:
        """The plan compiled for rows holding the columns `names` in that order (they may hold
        others, such as an ordering's keys): `f(values, zone, now)` answers one row's dict.
        Built once per order of columns."""
        key = tuple(names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(key)
        return compiled

    def _compile(self, names: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
        """The plan as one function unpacking the row into locals and returning one dict literal
        (as dataclasses and attrs build their methods): a page of 500 rows pays no loop, branch
        or lookup by name per field. Field names are the serializer's, written with repr();
        columns become positional locals; converters are passed in by name."""
        at = {name: i for i, name in enumerate(names)}
        missing = [column for column in self.columns if column not in at]
        if missing:
            raise ImproperlyConfigured(f"rows without the encoder's columns {missing}")
        namespace: dict[str, Any] = {}
        local = [f"v{i}" for i in range(len(names))]
        lines = ["def encode_values(row, zone, now):"]
        if len(names) == 1:
            lines.append(f"    ({local[0]},) = row")
        else:
            lines.append(f"    {', '.join(local)} = row")
        lines.append("    return {")
        for i, step in enumerate(self.plan):
            namespace[f"c{i}"] = step.convert
            args = ", ".join([local[at[column]] for column in step.columns] + ["now"] * step.clock)
            convert = step.convert
            if isinstance(convert, _ComputedTime):
                value = (
                    f"(None if (t := c{i}.value({args})) is None "
                    f"else t if t.tzinfo is zone else c{i}(t, zone))"
                )
            elif step.computed and step.null_without is not None:
                value = f"(None if {local[at[step.null_without]]} is None else c{i}({args}))"
            elif step.computed:
                value = f"c{i}({args})"
            elif convert is None:
                value = args
            elif isinstance(convert, _Time):  # a time already in the zone costs no call
                value = f"(None if {args} is None else {args} if {args}.tzinfo is zone else c{i}({args}, zone))"
            else:
                value = f"(None if {args} is None else c{i}({args}))"
            lines.append(f"        {step.name!r}: {value},")
        lines.append("    }")
        exec("\n".join(lines), namespace)  # noqa: S102 - our own source, built above
        return namespace["encode_values"]

    def _context(self) -> tuple[Any, Any]:
        """The page's zone (when a field is a time) and instant (when a field reads the clock)."""
        return (_zone(None) if self.times else None, timezone.now() if self.clock else None)

    def encode(self, rows: Iterable[Row | ValuesRow]) -> EncodedRows:
        """Rows of one query (the same columns, in the same order) as the serializer would
        answer them."""
        rows = list(rows)
        if not rows:
            return EncodedRows()
        zone, now = self._context()
        first = rows[0]
        if isinstance(first, ValuesRow):
            encode_values = self.values_encoder(first.names)
            return EncodedRows([encode_values(row, zone, now) for row in rows])
        mappings = cast("list[Row]", rows)  # one query's rows: all mappings alike
        encode_values = self.values_encoder(tuple(first))
        return EncodedRows([encode_values(tuple(row.values()), zone, now) for row in mappings])


_ENCODERS: dict[type, RowEncoder] = {}


def encoder_for(serializer_class: type[serializers.ModelSerializer]) -> RowEncoder:
    """The encoder of a serializer class, built once (its fields do not depend on the request)."""
    encoder = _ENCODERS.get(serializer_class)
    if encoder is None:
        encoder = _ENCODERS[serializer_class] = RowEncoder(serializer_class)
    return encoder


class ValuesRow(tuple):
    """A `values()` row of PlainValuesIterable: the values in the query's column order, as the
    database driver made the tuple (read by position, and unpacked by the list encoder at C
    speed), readable by column name too (`row["id"]`, `row.keys()`, `dict(row)`) as Django's
    values() dicts are. Iterating it, as any tuple, gives its values. One class per order of
    columns (values_row_class)."""

    __slots__ = ()
    names: tuple[str, ...] = ()
    positions: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if type(key) is str:
            return tuple.__getitem__(self, self.positions[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        return self.names

    def get(self, key: str, default: Any = None) -> Any:
        at = self.positions.get(key)
        return default if at is None else tuple.__getitem__(self, at)


_ROW_CLASSES: dict[tuple[str, ...], type[ValuesRow]] = {}


def values_row_class(names: Sequence[str]) -> type[ValuesRow]:
    """The ValuesRow class of rows holding `names` in that order (made once per order)."""
    key = tuple(names)
    row_class = _ROW_CLASSES.get(key)
    if row_class is None:
        positions = {name: i for i, name in enumerate(key)}
        row_class = type(
            "ValuesRow", (ValuesRow,), {"__slots__": (), "names": key, "positions": positions}
        )
        _ROW_CLASSES[key] = row_class
    return row_class


class PlainValuesIterable(ValuesIterable):
    """`values()` rows with the values Django's ValuesIterable gives (the same database
    converters), as ValuesRow tuples rather than dicts: the tuple the driver made is kept, so a
    row costs one small object and, where a JSON column is not null, its converter (orjson:
    `_fast`). The list encoder reads pages of up to 500 rows of 50 columns, where building a dict
    per row cost about as much as encoding it."""

    json_as_text = False

    def __iter__(self) -> Iterator[Any]:
        queryset = self.queryset
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        if query.selected:
            names = list(query.selected)
        else:  # extra(select=...) columns are always at the start of the row
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        results = compiler.execute_sql(
            MULTI, chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size
        )
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        row_class = values_row_class(names)
        if compiler.has_composite_fields(fields):  # tuples of columns: Django's own way
            for row in compiler.results_iter(results):
                yield row_class(row)
            return
        connection = compiler.connection
        converting = []
        for pos, (converters, expression) in compiler.get_converters(fields).items():
            # JSON text is passed on as it is only from PostgreSQL, whose jsonb is valid JSON.
            as_text = self.json_as_text and connection.vendor == "postgresql"
            fast = [_fast(converter, as_text=as_text) for converter in converters]
            # Converters that answer None for None (the JSON columns'): a NULL skips them.
            null_as_is = all(getattr(converter, "null_as_is", False) for converter in fast)
            converting.append((pos, fast, expression, null_as_is))
        if not converting:
            for chunk in results:
                yield from map(row_class, chunk)
            return
        for chunk in results:
            for values in chunk:
                changed = None
                for pos, converters, expression, null_as_is in converting:
                    value = values[pos]
                    if value is None and null_as_is:
                        continue
                    for converter in converters:
                        value = converter(value, expression, connection)
                    if changed is None:
                        changed = list(values)
                    changed[pos] = value
                yield row_class(values if changed is None else changed)


_LONG_DIGITS = re.compile(r"\d{19}")


def _fast(converter: Callable[..., Any], *, as_text: bool = False) -> Callable[..., Any]:
    """A JSONField's converter (json.loads of the text PostgreSQL sends) as orjson.loads, which
    answers the same values several times faster. What orjson reads otherwise goes through the
    field as before: a text with 19 digits in a row (orjson makes an integer past 64 bits a
    float), one orjson refuses (a lone surrogate), and a field with its own decoder.

    `as_text`: not read at all, but kept as the JSON text PostgreSQL sent, in an orjson.Fragment,
    which orjson writes into a response as it is (see JsonTextValuesIterable)."""
    if getattr(converter, "__func__", None) is not JSONField.from_db_value:
        return converter
    if getattr(converter.__self__, "decoder", None) is not None:  # type: ignore[attr-defined]
        return converter

    if as_text:

        def from_db_text(value: Any, expression: Any, connection: Any) -> Any:
            if isinstance(value, str):
                return orjson.Fragment(value)
            return converter(value, expression, connection)  # pragma: no cover - jsonb is text

        from_db_text.null_as_is = True  # type: ignore[attr-defined]  # None answers None
        return from_db_text

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and not _LONG_DIGITS.search(value):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return converter(value, expression, connection)

    from_db_value.null_as_is = True  # type: ignore[attr-defined]  # None answers None
    return from_db_value


class JsonTextValuesIterable(PlainValuesIterable):
    """PlainValuesIterable whose JSON columns are the JSON text PostgreSQL sent (jsonb's own
    output, always valid JSON), in an orjson.Fragment, never parsed into Python values and
    written again: for rows that go straight to the API's renderer (core.api.renderers), which
    writes a Fragment as it is (and reads it back where DRF's own renderer writes, for an
    indented answer). The values are the same JSON; integers of any size stay exact."""

    json_as_text = True


def plain_values(queryset: QuerySet[Any], *, json_as_text: bool = False) -> QuerySet[Any]:
    """A `values()` query read through PlainValuesIterable (the same rows, faster); with
    `json_as_text`, its JSON columns as the text PostgreSQL sent (JsonTextValuesIterable)."""
    queryset = queryset._chain()  # type: ignore[attr-defined]
    queryset._iterable_class = JsonTextValuesIterable if json_as_text else PlainValuesIterable
    return queryset
