"""Pages of the costs app."""

from django.urls import path

from config.views import PlaceholderView

app_name = "costs"

urlpatterns = [
    path("costs/", PlaceholderView.as_view(title="Costs"), name="overview"),
    path("budgets/", PlaceholderView.as_view(title="Budgets"), name="budget_list"),
]
