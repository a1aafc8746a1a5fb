"""Pages of the findings app."""

from django.urls import path

from config.views import PlaceholderView

app_name = "findings"

urlpatterns = [
    path("overview/", PlaceholderView.as_view(title="Overview"), name="overview"),
    path("findings/", PlaceholderView.as_view(title="Findings"), name="finding_list"),
    path("categories/", PlaceholderView.as_view(title="Categories"), name="categories"),
    path("users/", PlaceholderView.as_view(title="Users"), name="principal_list"),
    path("inspector/", PlaceholderView.as_view(title="Inspector"), name="inspector_report"),
    path(
        "collection/", PlaceholderView.as_view(title="Collection health"), name="collection_health"
    ),
]
