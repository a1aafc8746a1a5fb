"""The webhooks API: subscriptions and their delivery log, for Admins (write tokens to change)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from webhooks.api.serializers import (
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
    WebhookSubscriptionWriteSerializer,
)
from webhooks.filtersets import WebhookDeliveryFilterSet
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.selectors import MANAGE_WEBHOOKS, delivery_list_for_user, subscription_list_for_user
from webhooks.services import (
    delivery_replay,
    subscription_create,
    subscription_delete,
    subscription_ping,
    subscription_rotate_secret,
    subscription_update,
)


class ManagesWebhooks(permissions.BasePermission):
    """Reads and writes alike need webhooks.manage_webhooks (Admins): others get 403."""

    message = "Webhooks are managed by Admins."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(MANAGE_WEBHOOKS))


PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, ManagesWebhooks]


class WebhookSubscriptionViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Webhook subscriptions. POST answers the secret once; it is never returned again (rotate it
    with POST {id}/rotate-secret/). Events are signed (docs/api.md, Webhooks)."""

    permission_classes = PERMISSIONS
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return subscription_list_for_user(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.request.method in ("POST", "PATCH"):
            return WebhookSubscriptionWriteSerializer
        return WebhookSubscriptionSerializer

    @extend_schema(
        request=WebhookSubscriptionWriteSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self._validated(request, partial=False)
        subscription, secret = subscription_create(actor=request.user, **data)
        return self._with_secret(subscription, secret, status.HTTP_201_CREATED)

    @extend_schema(
        request=WebhookSubscriptionWriteSerializer, responses={200: WebhookSubscriptionSerializer}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        data = self._validated(request, partial=True)
        subscription_update(actor=request.user, subscription=subscription, **data)
        return Response(WebhookSubscriptionSerializer(subscription).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        subscription_delete(actor=self.request.user, subscription=instance)

    @extend_schema(request=None, responses={200: WebhookSubscriptionCreatedSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret, answered once; deliveries are signed with it from now on."""
        subscription = self.get_object()
        secret = subscription_rotate_secret(actor=request.user, subscription=subscription)
        return self._with_secret(subscription, secret, status.HTTP_200_OK)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str | None = None) -> Response:
        """Send a `ping` event now, to test the receiver and its signature check."""
        delivery = subscription_ping(actor=request.user, subscription=self.get_object())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    def _validated(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = WebhookSubscriptionWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _with_secret(self, subscription: WebhookSubscription, secret: str, code: int) -> Response:
        body = dict(WebhookSubscriptionSerializer(subscription).data, secret=secret)
        return Response(body, status=code)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log, newest first: filters `subscription`, `event`, `status`; the detail has
    the body and every attempt. POST {id}/replay/ sends it again."""

    permission_classes = PERMISSIONS
    filterset_class = WebhookDeliveryFilterSet
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        deliveries = delivery_list_for_user(user=self.request.user)
        if self.action == "retrieve":
            return deliveries.prefetch_related("tries")
        return deliveries.defer("payload")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return WebhookDeliveryDetailSerializer
        return WebhookDeliverySerializer

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """A new delivery of the same event (same event id and body, a fresh signature)."""
        replay = delivery_replay(actor=request.user, delivery=self.get_object())
        replay.refresh_from_db()
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
