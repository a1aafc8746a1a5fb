"""The one DRF router of the API, mounted at /api/v1/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from accounts.api.views import (
    AwsAccountViewSet,
    CollectionRunViewSet,
    OrganizationalUnitViewSet,
)
from costs.api.views import BudgetViewSet, CostAnomalyViewSet
from findings.api.governance import RiskAcceptanceViewSet
from findings.api.views import FindingSummaryViewSet, FindingViewSet, InspectorReportView
from principals.api.views import PrincipalViewSet
from reports.api.views import ReportView
from webhooks.api.views import WebhookDeliveryViewSet, WebhookSubscriptionViewSet

router = DefaultRouter()
router.register("accounts", AwsAccountViewSet, basename="awsaccount")
router.register("findings", FindingViewSet, basename="finding")
router.register("summary", FindingSummaryViewSet, basename="summary")
router.register("principals", PrincipalViewSet, basename="principal")
router.register("organizational-units", OrganizationalUnitViewSet, basename="organizationalunit")
router.register("collection-runs", CollectionRunViewSet, basename="collectionrun")
router.register("cost-anomalies", CostAnomalyViewSet, basename="costanomaly")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("risk-acceptances", RiskAcceptanceViewSet, basename="riskacceptance")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhookdelivery")

urlpatterns = [
    path("", include(router.urls)),
    path("inspector/report/", InspectorReportView.as_view(), name="inspector-report"),
    path("reports/", ReportView.as_view(), name="report"),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "schema/docs/",
        # The split view serves its init script as a file: no inline script for the CSP to refuse.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="schema-docs",
    ),
]
