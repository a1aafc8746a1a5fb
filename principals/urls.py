"""Pages of the principals app: the Users page and one principal's page."""

from django.urls import path, re_path

from principals import views

app_name = "principals"

urlpatterns = [
    path("users/", views.principal_list, name="principal_list"),
    # At most 18 digits: a larger id would overflow the database's bigint (a 500, not a 404).
    re_path(r"^users/(?P<pk>[0-9]{1,18})/$", views.principal_detail, name="principal_detail"),
]
