"""Pages of the accounts app, under /accounts/."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("add/", views.account_edit, name="account_add"),
    path("people/", views.person_list, name="person_list"),
    path("people/add/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/unlock/", views.person_unlock, name="person_unlock"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_list, name="audit_list"),
    path("hub-principal/refresh/", views.hub_principal_refresh, name="hub_principal_refresh"),
    path("<str:account_id>/", views.account_detail, name="account_detail"),
    path("<str:account_id>/edit/", views.account_edit, name="account_edit"),
    path("<str:account_id>/check/", views.account_check, name="account_check"),
    path("<str:account_id>/payer/", views.account_payer, name="account_payer"),
    path(
        "<str:account_id>/role-template.yaml",
        views.account_role_template,
        name="account_role_template",
    ),
]
