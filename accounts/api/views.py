"""API views of the accounts app."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.api.serializers import (
    AwsAccountSerializer,
    AwsAccountWriteSerializer,
    CollectionRunSerializer,
    OrganizationalUnitSerializer,
)
from accounts.filtersets import CollectionRunFilterSet
from accounts.models import AwsAccount, CollectionRun
from accounts.ous import OU_ID_PATTERN, ou_list_for_user
from accounts.selectors import account_list_for_user, collection_run_list_for_user
from accounts.services import account_save, account_set_payer
from core.api.mixins import EncodedListMixin
from core.api.permissions import HasModelPermission


class AwsAccountViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Member accounts the caller may see; `{account_id}` is the 12-digit id. Admins with a write
    token may create (POST) and change (PATCH) them; a bad value answers 400 naming the field and
    writes nothing."""

    serializer_class = AwsAccountSerializer
    lookup_field = "account_id"
    lookup_value_regex = r"[^/]+"
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, HasModelPermission]
    write_permission = "accounts.manage_accounts"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[AwsAccount]:
        return account_list_for_user(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.request.method in ("POST", "PATCH"):
            return AwsAccountWriteSerializer
        return AwsAccountSerializer

    @extend_schema(request=AwsAccountWriteSerializer, responses={201: AwsAccountSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._validated(request, partial=False)
        is_payer = data.pop("is_payer", None)
        with transaction.atomic():
            account = account_save(actor=request.user, account=AwsAccount(**data))
            if is_payer:
                account_set_payer(actor=request.user, account=account, is_payer=True)
        body = AwsAccountSerializer(account, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=AwsAccountWriteSerializer, responses={200: AwsAccountSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        data = self._validated(request, partial=True)
        if data.pop("account_id", account.account_id) != account.account_id:
            raise ValidationError({"account_id": ["An account's id cannot change."]})
        is_payer = data.pop("is_payer", None)
        with transaction.atomic():
            for name, value in data.items():
                setattr(account, name, value)
            account_save(actor=request.user, account=account)
            if is_payer is not None:
                account_set_payer(actor=request.user, account=account, is_payer=is_payer)
        return Response(AwsAccountSerializer(account, context=self.get_serializer_context()).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def _validated(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = AwsAccountWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class CollectionRunViewSet(EncodedListMixin, viewsets.ReadOnlyModelViewSet):
    """Collection runs of the caller's accounts, newest first; filter by account, region, source,
    outcome and start time."""

    serializer_class = CollectionRunSerializer
    filterset_class = CollectionRunFilterSet

    def get_queryset(self) -> QuerySet[CollectionRun]:
        return collection_run_list_for_user(user=self.request.user)


class OrganizationalUnitViewSet(viewsets.ViewSet):
    """The organisation's root and OUs the caller sees (those holding, in them or below, an
    account the caller sees, or granted to them), parents before children; `accounts` lists only
    the caller's accounts. Kept current by discovery."""

    lookup_field = "ou_id"
    lookup_value_regex = OU_ID_PATTERN

    def _rows(self, request: Request) -> list[dict[str, Any]]:
        return [
            {
                "id": unit.ou_id,
                "name": unit.name,
                "parent": unit.parent.ou_id if unit.parent else None,
                "accounts": accounts,
            }
            for unit, accounts in ou_list_for_user(user=request.user)
        ]

    @extend_schema(responses={200: OrganizationalUnitSerializer(many=True)})
    def list(self, request: Request) -> Response:
        return Response(OrganizationalUnitSerializer(self._rows(request), many=True).data)

    @extend_schema(responses={200: OrganizationalUnitSerializer})
    def retrieve(self, request: Request, ou_id: str) -> Response:
        for row in self._rows(request):
            if row["id"] == ou_id:
                return Response(OrganizationalUnitSerializer(row).data)
        raise NotFound("No such organisational unit.")
