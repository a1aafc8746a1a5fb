"""Filters any app's FilterSet may use: strict values, a 400 naming the parameter, never a 500.

Lists take a parameter repeated, comma-separated, or both; enums are checked against their choices;
times are ISO 8601 (or a date) turned into UTC; booleans are true or false, nothing else; NUL
characters (which PostgreSQL refuses) are refused everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

__all__ = [
    "ChoicesFilter",
    "CommaSeparatedWidget",
    "MultipleValueField",
    "MultipleValueFilter",
    "StrictBooleanField",
    "StrictBooleanFilter",
    "TimeField",
    "TimeFilter",
]

_no_nul = ProhibitNullCharactersValidator()


class CommaSeparatedWidget(forms.SelectMultiple):
    """Reads a parameter given several times, comma-separated, or both (?severity=high,critical)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getlist = getattr(data, "getlist", None)
        raw = getlist(name) if getlist else ([data[name]] if name in data else [])
        values = raw if isinstance(raw, list | tuple) else [raw]
        return [part.strip() for v in values for part in str(v).split(",") if part.strip()]


class MultipleValueField(forms.Field):
    """A list of strings, each checked against `pattern` (when given) and refusing NUL characters."""

    widget = CommaSeparatedWidget

    def __init__(self, *, pattern: str | None = None, message: str = "", **kwargs: Any) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.message = message or "Not a valid value: %(value)s."
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for item in value:
            _no_nul(item)
            if len(item) > 255 or (self.pattern and not self.pattern.fullmatch(item)):
                raise ValidationError(self.message, code="invalid", params={"value": item[:80]})


class MultipleValueFilter(filters.Filter):
    """`field IN (values)`; several values mean any of them."""

    field_class = MultipleValueField

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class ChoicesFilter(filters.MultipleChoiceFilter):
    """One or more of an enum's values, repeatable or comma-separated; anything else is a 400."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaSeparatedWidget)
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class TimeField(forms.DateTimeField):
    """An ISO 8601 time with a zone (or UTC), or a date (its midnight, UTC).

    A `+` in a URL's query decodes to a space, so "2024-05-14T10:00:00 02:00" is read as +02:00.
    """

    def to_python(self, value: Any) -> datetime | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        _no_nul(text)
        text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
        try:
            moment = parse_datetime(text)
            if moment is None and (day := parse_date(text)) is not None:
                moment = datetime.combine(day, time.min, tzinfo=UTC)
            if moment is not None and timezone.is_naive(moment):
                moment = moment.replace(tzinfo=UTC)
            if moment is not None:
                # In UTC: refuses what would overflow, and PostgreSQL refuses offsets beyond 15:59.
                moment = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            raise ValidationError(
                "Enter an ISO 8601 time such as 2024-05-14T09:12:45Z (or a date).", code="invalid"
            )
        return moment


class TimeFilter(filters.Filter):
    field_class = TimeField


class StrictBooleanField(forms.Field):
    """true/false (1/0, yes/no); anything else is refused, never silently ignored."""

    TRUE, FALSE = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off"})

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class GivenFiltersOnly:
    """A FilterSet that, bound to data, builds only the filters the data names.

    django-filter deep-copies every declared filter and builds a form field for each on every
    request: for the findings' 35 filters, more time than the page's query. A parameter that is
    absent filters nothing, so leaving its filter out changes no result. `every_filter=True` (a
    form that shows every filter) builds them all.
    """

    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        every_filter: bool = False,
    ) -> None:
        if data is not None and not every_filter and prefix is None:
            given = set(data.keys())
            self.base_filters = {
                name: f
                for name, f in type(self).base_filters.items()  # type: ignore[misc, has-type]
                if name in given
            }
        super().__init__(data, queryset, request=request, prefix=prefix)  # type: ignore[call-arg]
