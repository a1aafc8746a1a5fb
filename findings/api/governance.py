"""risk-acceptances/: rules that accept findings until they expire (findings.governance.acceptance).

Reads: the rules whose accounts the caller sees every one of. Writes (POST, DELETE): a write token
of an Admin or Manager. A rule never reaches accounts its creator cannot see.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.api.permissions import HasModelPermission
from findings.choices import FindingSource, Severity
from findings.governance.acceptance import (
    ACCEPT_PERMISSION,
    risk_acceptance_create,
    risk_acceptance_delete,
    risk_acceptance_list_for_user,
)
from findings.models import RiskAcceptance

__all__ = ["RiskAcceptanceSerializer", "RiskAcceptanceViewSet"]


class RiskAcceptanceSerializer(serializers.ModelSerializer):
    """A rule as the API answers it; `matched` is how many findings it accepts now."""

    created_by = serializers.CharField(source="created_by_name", read_only=True)
    approved_by = serializers.CharField(source="approved_by_name", read_only=True)
    accounts = serializers.ListField(child=serializers.CharField(), read_only=True)
    sources = serializers.ListField(child=serializers.CharField(), read_only=True)
    finding = serializers.IntegerField(source="finding_id", read_only=True, allow_null=True)
    matched = serializers.IntegerField(read_only=True)
    live = serializers.BooleanField(source="is_live", read_only=True)

    class Meta:
        model = RiskAcceptance
        fields = [
            "id",
            "reason",
            "expires_at",
            "accounts",
            "ou",
            "sources",
            "type_prefix",
            "resource_id",
            "resource_tag",
            "min_severity",
            "max_severity",
            "finding",
            "created_by",
            "approved_by",
            "created_at",
            "ended_at",
            "live",
            "matched",
        ]
        read_only_fields = fields


class RiskAcceptanceWriteSerializer(serializers.Serializer):
    """What POST takes; the service checks the rest (scope, expiry, approver)."""

    reason = serializers.CharField(max_length=4000)
    expires_at = serializers.DateTimeField(help_text="In the future, at most 365 days ahead.")
    accounts = serializers.ListField(
        child=serializers.RegexField(r"^\d{12}$", max_length=12),
        required=False,
        max_length=5000,
        help_text="Account ids; empty: every account you see.",
    )
    ou = serializers.CharField(required=False, allow_blank=True, max_length=68)
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=FindingSource.choices), required=False
    )
    type_prefix = serializers.CharField(required=False, allow_blank=True, max_length=255)
    resource_id = serializers.CharField(required=False, allow_blank=True, max_length=1024)
    resource_tag = serializers.CharField(
        required=False, allow_blank=True, max_length=512, help_text="key=value (Inspector)."
    )
    min_severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True
    )
    max_severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True
    )
    finding = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    approved_by = serializers.CharField(
        required=False, allow_blank=True, max_length=150, help_text="An Admin or Manager."
    )


class RiskAcceptanceViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Risk acceptances of the caller's accounts; POST and DELETE with an Admin's or Manager's
    write token. Deleting a rule reopens its findings."""

    serializer_class = RiskAcceptanceSerializer
    queryset = RiskAcceptance.objects.none()  # the schema's model; requests use get_queryset
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, HasModelPermission]
    write_permission = ACCEPT_PERMISSION
    lookup_value_regex = r"\d{1,18}"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[RiskAcceptance]:
        if getattr(self, "swagger_fake_view", False):  # the schema: no person, no query
            return RiskAcceptance.objects.none()
        return risk_acceptance_list_for_user(user=self.request.user)

    @extend_schema(request=RiskAcceptanceWriteSerializer, responses={201: RiskAcceptanceSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = RiskAcceptanceWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            rule = risk_acceptance_create(actor=request.user, data=given.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        rule = self.get_queryset().get(pk=rule.pk)
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: RiskAcceptance) -> None:
        risk_acceptance_delete(actor=self.request.user, rule=instance)
