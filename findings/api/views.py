"""API views of findings: thin, scoped by the selectors, filtered by the one FilterSet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.api.mixins import EncodedListMixin
from core.api.schema import SingleObjectSchema
from findings.api.export import FindingExportMixin
from findings.api.pagination import FindingPagination
from findings.api.serializers import (
    FindingDetailSerializer,
    FindingSerializer,
    FindingSummarySerializer,
)
from findings.api.workflow import FindingWorkflowMixin
from findings.filtersets import FindingFilterSet
from findings.governance.sla import with_sla, with_sla_due
from findings.inspector.report import REPORT_FILTERS, inspector_report_for_user
from findings.models import Finding
from findings.selectors import (
    finding_list_for_user,
    finding_rows_for_user,
    finding_summary,
    finding_summary_from_counts,
)


class FindingViewSet(
    EncodedListMixin, FindingWorkflowMixin, FindingExportMixin, viewsets.ReadOnlyModelViewSet
):
    """Findings of the accounts the caller may see, whatever their state unless a filter says;
    with `updated_since`, the change feed ordered by (updated_at, id). GET {id} sends an ETag;
    PATCH {id} (If-Match) writes the workflow back (findings.api.workflow); export/ streams the
    filtered set as JSON, CSV or OCSF (findings.api.export). The list is encoded from `values()`
    rows (core.api.mixins.EncodedListMixin), exactly as FindingSerializer would."""

    filterset_class = FindingFilterSet
    pagination_class = FindingPagination
    lookup_value_regex = r"\d{1,18}"

    def list_rows(self, columns: Sequence[str]) -> tuple[QuerySet[Any], QuerySet[Finding]]:
        """The list's rows (values() with sla_due; sla_breached is told from it by the
        serializer's encoder) and the findings it counts, before the filters."""
        return finding_rows_for_user(user=self.request.user, columns=columns)

    def get_queryset(self) -> QuerySet[Finding]:
        findings = finding_list_for_user(user=self.request.user)
        if self.action == "list":  # as list_rows: sla_breached told from sla_due
            return with_sla_due(findings).defer("raw")
        findings = with_sla(findings)
        if self.action == "retrieve":
            return findings.prefetch_related("events")
        return findings.defer("raw")

    def get_serializer_class(self) -> type[BaseSerializer]:
        return FindingDetailSerializer if self.action == "retrieve" else FindingSerializer


class FindingSummaryViewSet(viewsets.GenericViewSet):
    """Open counts by severity, source, account and category, with the findings list's filters."""

    filterset_class = FindingFilterSet
    pagination_class = None
    serializer_class = FindingSummarySerializer
    schema = SingleObjectSchema()  # one object of counts, not a list

    def get_queryset(self) -> QuerySet[Finding]:
        return finding_list_for_user(user=self.request.user)

    @extend_schema(responses=FindingSummarySerializer)
    def list(self, request: Request) -> Response:
        if not any(name in request.query_params for name in FindingFilterSet.base_filters):
            return Response(finding_summary_from_counts(user=request.user))
        return Response(finding_summary(findings=self.filter_queryset(self.get_queryset())))


class InspectorReportView(APIView):
    """The Inspector report's data (findings.inspector.report) with the report page's filters:
    account, region, severity, vulnerability_type, cve, package, exploit_available,
    fix_available, resource_type, resource. Scoped to the caller's accounts."""

    @extend_schema(
        parameters=[OpenApiParameter(name, str, required=False) for name in REPORT_FILTERS],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        try:
            data = inspector_report_for_user(user=request.user, filters=request.query_params)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(data)
