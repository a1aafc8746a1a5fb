"""The `principals/` API (CONTRACT.md): principals and their tiers with evidence, scoped, filtered."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from core.api.mixins import EncodedListMixin
from findings.models import Principal
from findings.principal_filtersets import PrincipalFilterSet
from findings.principal_selectors import principal_list_for_user

PRINCIPAL_FIELDS = [
    "id",
    "account_id",
    "arn",
    "name",
    "identity",
    "identity_type",
    "tier",
    "tier_rule",
    "tier_since",
    "first_seen",
    "last_seen",
    "sessions",
    "evidence",
]


class PrincipalSerializer(serializers.ModelSerializer):
    """A principal; `tier` is null for AWS services; `evidence` says which rule set the tier and
    holds the events behind it, with successful and failed counts by event class in the window."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    evidence = serializers.JSONField(read_only=True)
    sessions = serializers.JSONField(read_only=True)

    class Meta:
        model = Principal
        fields = PRINCIPAL_FIELDS
        read_only_fields = PRINCIPAL_FIELDS


class PrincipalViewSet(EncodedListMixin, viewsets.ReadOnlyModelViewSet):
    """Principals of the accounts the caller may see, highest tier first; filters `account`,
    `tier` (or `none`), `identity_type`, `q`."""

    serializer_class = PrincipalSerializer
    filterset_class = PrincipalFilterSet
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self) -> QuerySet[Principal]:
        return principal_list_for_user(user=self.request.user)
