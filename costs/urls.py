"""Pages of the costs app."""

from django.urls import path

from costs import views

app_name = "costs"

urlpatterns = [
    path("costs/", views.overview, name="overview"),
    path("costs/anomalies/", views.anomaly_list, name="anomaly_list"),
    path("costs/anomalies/<int:pk>/", views.anomaly_detail, name="anomaly_detail"),
    path("costs/anomalies/<int:pk>/feedback/", views.anomaly_feedback, name="anomaly_feedback"),
    path("budgets/", views.budget_list, name="budget_list"),
]
