"""FilterSets of the accounts app (shared by pages and the API)."""

from __future__ import annotations

import django_filters

from accounts.choices import CheckOutcome, Source
from accounts.models import CollectionRun
from accounts.validators import validate_account_id


class CollectionRunFilterSet(django_filters.FilterSet):
    """Filters of collection runs: account, region, source, outcome, started after/before."""

    account = django_filters.CharFilter(
        field_name="account__account_id", validators=[validate_account_id]
    )
    region = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=Source.choices)
    outcome = django_filters.ChoiceFilter(choices=CheckOutcome.choices)
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = CollectionRun
        fields = ["account", "region", "source", "outcome"]
