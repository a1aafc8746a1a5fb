"""API views of findings: thin, scoped by the selectors, filtered by the one FilterSet."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from findings.api.pagination import FindingPagination
from findings.api.serializers import (
    FindingDetailSerializer,
    FindingSerializer,
    FindingSummarySerializer,
)
from findings.filtersets import FindingFilterSet
from findings.models import Finding
from findings.selectors import finding_list_for_user, finding_summary


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings of the accounts the caller may see, whatever their state unless a filter says;
    with `updated_since`, the change feed ordered by (updated_at, id)."""

    filterset_class = FindingFilterSet
    pagination_class = FindingPagination
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self) -> QuerySet[Finding]:
        findings = finding_list_for_user(user=self.request.user)
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

    def get_queryset(self) -> QuerySet[Finding]:
        return finding_list_for_user(user=self.request.user)

    @extend_schema(responses=FindingSummarySerializer)
    def list(self, request: Request) -> Response:
        return Response(finding_summary(findings=self.filter_queryset(self.get_queryset())))
