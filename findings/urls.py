"""Pages of the findings app."""

from django.urls import path, re_path

from findings import views
from findings.categories import views as category_views
from findings.governance import views as governance_views
from findings.inspector import views as inspector_views

app_name = "findings"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/export.csv", views.finding_export, name="finding_export"),
    path("findings/bulk/", views.finding_bulk_update, name="finding_bulk_update"),
    # At most 18 digits: a larger id would overflow the database's bigint (a 500, not a 404).
    re_path(r"^findings/(?P<pk>[0-9]{1,18})/$", views.finding_detail, name="finding_detail"),
    re_path(
        r"^findings/(?P<pk>[0-9]{1,18})/workflow/$",
        views.finding_workflow,
        name="finding_workflow",
    ),
    re_path(
        r"^findings/(?P<pk>[0-9]{1,18})/accept-risk/$",
        governance_views.finding_accept_risk,
        name="finding_accept_risk",
    ),
    path(
        "risk-acceptances/",
        governance_views.risk_acceptance_list,
        name="risk_acceptance_list",
    ),
    re_path(
        r"^risk-acceptances/(?P<pk>[0-9]{1,18})/delete/$",
        governance_views.risk_acceptance_delete_view,
        name="risk_acceptance_delete",
    ),
    path("sla/", governance_views.sla, name="sla"),
    path("categories/", category_views.category_list, name="categories"),
    path("macie/", category_views.macie, name="macie"),
    path("inspector/", inspector_views.inspector_report, name="inspector_report"),
]
