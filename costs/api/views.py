"""API views of the costs app: anomalies with feedback to AWS, budgets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import TokenScopePermission
from core.api.mixins import EncodedListMixin
from core.api.permissions import HasModelPermission
from costs.api.serializers import (
    AnomalyFeedbackSerializer,
    BudgetSerializer,
    CostAnomalySerializer,
)
from costs.filtersets import BudgetFilterSet, CostAnomalyFilterSet
from costs.models import Budget, CostAnomaly
from costs.selectors import (
    anomaly_list_for_user,
    anomaly_redact,
    budget_list_for_user,
    visible_account_ids,
)
from costs.services import AnomalyFeedbackRefused, anomaly_feedback_send


class CostAnomalyViewSet(EncodedListMixin, viewsets.ReadOnlyModelViewSet):
    """Cost anomalies of the caller's accounts, newest first; filter by account, service, dates,
    min_impact, feedback (or `none`) and severity. POST feedback/ sends feedback to AWS."""

    serializer_class = CostAnomalySerializer
    filterset_class = CostAnomalyFilterSet
    permission_classes = [IsAuthenticated, TokenScopePermission, HasModelPermission]
    write_permission = "costs.send_anomaly_feedback"
    json_as_text = False  # list() reads each row's root causes to redact them

    def get_queryset(self) -> QuerySet[CostAnomaly]:
        return anomaly_list_for_user(user=self.request.user).select_related("payer")

    def _redacted(self, data: Any) -> Any:
        """Root causes of the caller's accounts only; totals only if they see every account."""
        visible = visible_account_ids(user=self.request.user)
        return anomaly_redact(data, visible)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        visible = visible_account_ids(user=request.user)
        for row in rows:
            anomaly_redact(row, visible)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response.data = self._redacted(response.data)
        return response

    @extend_schema(
        request=AnomalyFeedbackSerializer,
        responses={
            200: CostAnomalySerializer,
            502: OpenApiResponse(description="AWS refused; its message, nothing changed here."),
        },
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """Send YES, NO or PLANNED_ACTIVITY to AWS, then answer the anomaly; 502 if AWS refuses."""
        anomaly = self.get_object()
        body = AnomalyFeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            anomaly = anomaly_feedback_send(
                anomaly=anomaly, user=request.user, **body.validated_data
            )
        except AnomalyFeedbackRefused as exc:
            detail = f"AWS refused the feedback; nothing was changed. {exc}"
            return Response({"detail": detail}, status=status.HTTP_502_BAD_GATEWAY)
        data = CostAnomalySerializer(anomaly, context={"request": request}).data
        return Response(self._redacted(data))


class BudgetViewSet(EncodedListMixin, viewsets.ReadOnlyModelViewSet):
    """Budgets of the caller's accounts; filter by account, status and budget_type."""

    serializer_class = BudgetSerializer
    filterset_class = BudgetFilterSet

    def get_queryset(self) -> QuerySet[Budget]:
        return budget_list_for_user(user=self.request.user)
