"""Project-wide views: the home dashboard, the health check and pages not built yet."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from accounts.selectors import account_list_for_user
from config.health import broker_status


def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: the member accounts this person sees, with their last check."""
    accounts = account_list_for_user(user=request.user)
    return render(request, "pages/home.html", {"accounts": accounts})


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status for load balancers and monitors; 503 when either is down."""
    checks: dict[str, Any] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "down", reported as such
        checks["database"] = f"error: {type(exc).__name__}"
    checks["broker"] = broker_status()
    healthy = all(v in ("ok", "in_process") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name none (the browsable API, JSON)."""
    return redirect(static("favicon.svg"), permanent=True)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: JSON under /api/, the page otherwise."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/ (a tool must never parse an HTML page), a plain page otherwise."""
    if _is_api(request):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return render(request, "500.html", status=500)
