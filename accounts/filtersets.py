"""FilterSets of the accounts app (shared by pages and the API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from accounts.choices import CheckOutcome, Source
from accounts.models import CollectionRun
from accounts.validators import validate_account_id


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC: PostgreSQL refuses offsets beyond 15:59 that Python
    accepts, and a time that leaves the calendar in UTC is refused here (400, never 500)."""

    def to_python(self, value: Any) -> datetime | None:
        try:
            moment = super().to_python(value)
            return moment.astimezone(UTC) if moment is not None and moment.tzinfo else moment
        except (OverflowError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class CollectionRunFilterSet(django_filters.FilterSet):
    """Filters of collection runs: account, region, source, outcome, started after/before."""

    account = django_filters.CharFilter(
        field_name="account__account_id", validators=[validate_account_id]
    )
    region = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=Source.choices)
    outcome = django_filters.ChoiceFilter(choices=CheckOutcome.choices)
    started_after = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = CollectionRun
        fields = ["account", "region", "source", "outcome"]
