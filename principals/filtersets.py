"""The one FilterSet of principals: it drives the Users page and the `principals/` API.

A bad value answers 400 naming the parameter in the API and shows an error on the page, never 500.
"""

from __future__ import annotations

import django_filters as filters
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q, QuerySet

from core.filters import ChoicesFilter, GivenFiltersOnly, MultipleValueFilter
from principals.choices import IdentityType, UserTier
from principals.models import Principal

NO_TIER = "none"  # the tier filter's value for AWS services, which have none


class PrincipalFilterSet(GivenFiltersOnly, filters.FilterSet):
    """Principals by account, tier (or `none`), identity type and text (name, ARN, sessions)."""

    account = MultipleValueFilter(
        field_name="account__account_id",
        pattern=r"\d{12}",
        message="An account id is 12 digits, not %(value)s.",
        label="Account",
    )
    tier = ChoicesFilter(
        choices=[*UserTier.choices, (NO_TIER, "No tier (AWS services)")],
        method="filter_tier",
        label="Tier",
    )
    identity_type = ChoicesFilter(choices=IdentityType.choices, label="Identity type")
    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        validators=[ProhibitNullCharactersValidator()],
        label="Text",
    )

    class Meta:
        model = Principal
        fields: list[str] = []

    def filter_tier(self, qs: QuerySet[Principal], name: str, value: list[str]) -> QuerySet:
        if not value:
            return qs
        wanted = Q(tier__in=[v for v in value if v != NO_TIER])
        if NO_TIER in value:
            wanted |= Q(tier__isnull=True)
        return qs.filter(wanted)

    def filter_q(self, qs: QuerySet[Principal], name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value) | Q(arn__icontains=value) | Q(identity__icontains=value)
        )
