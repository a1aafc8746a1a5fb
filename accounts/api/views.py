"""API views of the accounts app."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets

from accounts.api.serializers import AwsAccountSerializer, CollectionRunSerializer
from accounts.filtersets import CollectionRunFilterSet
from accounts.models import AwsAccount, CollectionRun
from accounts.selectors import account_list_for_user, collection_run_list_for_user


class AwsAccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Member accounts the caller may see; `{account_id}` is the 12-digit id."""

    serializer_class = AwsAccountSerializer
    lookup_field = "account_id"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[AwsAccount]:
        return account_list_for_user(user=self.request.user)


class CollectionRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Collection runs of the caller's accounts, newest first; filter by account, region, source,
    outcome and start time."""

    serializer_class = CollectionRunSerializer
    filterset_class = CollectionRunFilterSet

    def get_queryset(self) -> QuerySet[CollectionRun]:
        return collection_run_list_for_user(user=self.request.user)
