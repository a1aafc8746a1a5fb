"""Watchpost's URLs: pages per app, the API under /api/v1/, login under /auth/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "auth/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Changing one's password (logged in) and resetting a forgotten one by email (logged out);
    # Django's views, with AUTH_PASSWORD_VALIDATORS on every new password, each change audited.
    path(
        "auth/password/change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "auth/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("auth/password/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "auth/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "auth/password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "auth/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/", include("accounts.urls")),
    path("collection/", account_views.collection_health, name="collection_health"),
    path("", include("findings.urls")),
    path("", include("principals.urls")),
    path("", include("costs.urls")),
    path("", include("reports.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    path("admin/", admin.site.urls),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
