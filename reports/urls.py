"""Pages of the reports app."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report, name="report"),
    path("reports/export.csv", views.report_export, name="report_export"),
    path("reports/digest/", views.digest_toggle, name="digest_toggle"),
]
