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

`encode()` answers an `EncodedRows` list: core.api.renderers writes its times with orjson's own
(compiled) ISO 8601, exactly the text DRF's DateTimeField answers, instead of a Python call per time.

The serializer stays the source of truth (and of the OpenAPI schema): a field the encoder cannot
derive (a method field, a property, a nested serializer) must be declared by the serializer in
`computed_columns` with the columns it needs and a function of the row, or the encoder refuses it
when it is built (ImproperlyConfigured), never guesses. tests/core/test_encoder.py proves, per
list, that the encoder answers what the serializer answers for every field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import JSONField, Model, QuerySet
from django.db.models.query import ValuesIterable
from django.db.models.sql.constants import MULTI
from django.utils import timezone
from rest_framework import ISO_8601, relations, serializers
from rest_framework import fields as drf_fields
from rest_framework.settings import api_settings

__all__ = ["Computed", "EncodedRows", "RowEncoder", "encoder_for"]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Computed:
    """A serializer field the encoder cannot derive: the `values()` columns it needs and the
    function of a row that answers what the field would."""

    needs: tuple[str, ...]
    value: Callable[[Row], Any]
    # The value is a time the serializer writes as DRF's DateTimeField does (ISO 8601, in the
    # current zone): handed to the renderer as a datetime, as the encoder's own time columns are.
    time: bool = False


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
    """A computed time (Computed.time): its function of the row, then what _Time answers."""

    def __init__(self, value: Callable[[Row], Any]) -> None:
        super().__init__(drf_fields.DateTimeField())
        self.value = value


def _computed_time_text(value: Callable[[Row], Any]) -> Callable[[Row], Any]:
    field = drf_fields.DateTimeField()

    def text(row: Row) -> Any:
        due = value(row)
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


class RowEncoder:
    """Encodes `values()` rows as `serializer_class` would encode the model instances."""

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
        self.plan: list[tuple[str, str | None, Callable[..., Any] | None]] = []
        for name, field in serializer_class().fields.items():
            if field.write_only or name in skip:
                continue
            if name in computed:
                self._need(*(prefix + column for column in computed[name].needs))
                if computed[name].time and _datetime_formatter(drf_fields.DateTimeField()):
                    self.plan.append((name, None, _ComputedTime(computed[name].value)))
                elif computed[name].time:  # a format other than ISO 8601: DRF's field writes it
                    self.plan.append((name, None, _computed_time_text(computed[name].value)))
                else:
                    self.plan.append((name, None, computed[name].value))
                continue
            path, convert = self._derive(model, name, field)
            self._need(prefix + path)
            self.plan.append((name, prefix + path, convert))
        self._encode_row = self._compile()
        self.times = any(isinstance(convert, _Time) for _name, _path, convert in self.plan)

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

    def _compile(self) -> Callable[[Row, Any], dict[str, Any]]:
        """The plan as one function returning one dict literal (as dataclasses and attrs build
        their methods): a page of 500 rows pays no loop or branch per field. Names and paths are
        the serializer's and the model's, written with repr(); converters are passed in by name."""
        namespace: dict[str, Any] = {}
        lines = ["def encode_row(row, zone):", "    return {"]
        for i, (name, path, convert) in enumerate(self.plan):
            namespace[f"c{i}"] = convert
            if path is None and isinstance(convert, _ComputedTime):
                value = (
                    f"(None if (v := c{i}.value(row)) is None "
                    f"else v if v.tzinfo is zone else c{i}(v, zone))"
                )
            elif path is None:
                value = f"c{i}(row)"
            elif convert is None:
                value = f"row[{path!r}]"
            elif isinstance(convert, _Time):  # a time already in the zone costs no call
                value = (
                    f"(None if (v := row[{path!r}]) is None "
                    f"else v if v.tzinfo is zone else c{i}(v, zone))"
                )
            else:
                value = f"(None if (v := row[{path!r}]) is None else c{i}(v))"
            lines.append(f"        {name!r}: {value},")
        lines.append("    }")
        exec("\n".join(lines), namespace)  # noqa: S102 - our own source, built above
        return namespace["encode_row"]

    def encode_row(self, row: Row, zone: Any = None) -> dict[str, Any]:
        """One row as the serializer would answer it (None stays None, as DRF leaves it); times
        as datetimes in `zone` (default: the current zone)."""
        return self._encode_row(row, _zone(zone) if self.times else None)

    def encode(self, rows: Iterable[Row]) -> EncodedRows:
        zone = _zone(None)
        encode_row = self._encode_row
        return EncodedRows([encode_row(row, zone) for row in rows])


_ENCODERS: dict[type, RowEncoder] = {}


def encoder_for(serializer_class: type[serializers.ModelSerializer]) -> RowEncoder:
    """The encoder of a serializer class, built once (its fields do not depend on the request)."""
    encoder = _ENCODERS.get(serializer_class)
    if encoder is None:
        encoder = _ENCODERS[serializer_class] = RowEncoder(serializer_class)
    return encoder


class PlainValuesIterable(ValuesIterable):
    """`values()` rows as Django's ValuesIterable makes them (the same dicts, the same database
    converters), with less Python per row: one dict(zip()) and the few converters a list has
    (JSON columns, read by orjson: `_fast`), no generator per layer. The list encoder reads
    pages of up to 500 rows of 50 columns, where Django's per-row machinery cost as much as
    encoding them."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
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
        if compiler.has_composite_fields(fields):  # tuples of columns: Django's own way
            for row in compiler.results_iter(results):
                yield dict(zip(names, row, strict=True))
            return
        connection = compiler.connection
        converting = []
        for pos, (converters, expression) in compiler.get_converters(fields).items():
            fast = [_fast(converter) for converter in converters]
            # Converters that answer None for None (the JSON columns'): a NULL skips them.
            null_as_is = all(getattr(converter, "null_as_is", False) for converter in fast)
            converting.append((names[pos], fast, expression, null_as_is))
        for chunk in results:
            for values in chunk:
                row = dict(zip(names, values, strict=True))
                for name, converters, expression, null_as_is in converting:
                    value = row[name]
                    if value is None and null_as_is:
                        continue
                    for converter in converters:
                        value = converter(value, expression, connection)
                    row[name] = value
                yield row


_LONG_DIGITS = re.compile(r"\d{19}")


def _fast(converter: Callable[..., Any]) -> Callable[..., Any]:
    """A JSONField's converter (json.loads of the text PostgreSQL sends) as orjson.loads, which
    answers the same values several times faster. What orjson reads otherwise goes through the
    field as before: a text with 19 digits in a row (orjson makes an integer past 64 bits a
    float), one orjson refuses (a lone surrogate), and a field with its own decoder."""
    if getattr(converter, "__func__", None) is not JSONField.from_db_value:
        return converter
    if getattr(converter.__self__, "decoder", None) is not None:  # type: ignore[attr-defined]
        return converter

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


def plain_values(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """A `values()` query read through PlainValuesIterable (the same rows, faster)."""
    queryset = queryset._chain()  # type: ignore[attr-defined]
    queryset._iterable_class = PlainValuesIterable
    return queryset
