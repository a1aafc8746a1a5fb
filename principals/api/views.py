"""The `principals/` API (docs/api.md, Principals): principals and their tiers with evidence, scoped, filtered."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from core.api.mixins import EncodedListMixin
from principals.api.serializers import PrincipalSerializer
from principals.filtersets import PrincipalFilterSet
from principals.models import Principal
from principals.selectors import principal_list_for_user


class PrincipalViewSet(EncodedListMixin, viewsets.ReadOnlyModelViewSet):
    """Principals of the accounts the caller may see, highest tier first; filters `account`,
    `tier` (or `none`), `identity_type`, `q`."""

    serializer_class = PrincipalSerializer
    filterset_class = PrincipalFilterSet
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self) -> QuerySet[Principal]:
        return principal_list_for_user(user=self.request.user)
