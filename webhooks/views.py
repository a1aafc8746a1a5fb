"""The /webhooks/ page (Admins): subscriptions, the delivery log, Replay and Ping buttons.

Plain forms posting with CSRF: no script at all, so nothing for the CSP to allow.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from webhooks.choices import SUBSCRIBABLE_EVENTS
from webhooks.filtersets import WebhookDeliveryFilterSet
from webhooks.selectors import MANAGE_WEBHOOKS, delivery_list_for_user, subscription_list_for_user
from webhooks.services import delivery_replay, subscription_ping


@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Subscriptions, then deliveries newest first (filter by subscription, event, status)."""
    deliveries = delivery_list_for_user(user=request.user).prefetch_related("tries")
    filterset = WebhookDeliveryFilterSet(data=request.GET, queryset=deliveries.defer("payload"))
    rows = filterset.qs if filterset.is_valid() else deliveries.none()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "subscriptions": subscription_list_for_user(user=request.user),
        "page": page,
        "filterset": filterset,
        "events": SUBSCRIBABLE_EVENTS,
    }
    return render(request, "webhooks/webhook_list.html", context)


@require_POST
@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def delivery_replay_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a delivery again; back to the list with a message."""
    delivery = get_object_or_404(delivery_list_for_user(user=request.user), pk=pk)
    try:
        replay = delivery_replay(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        replay.refresh_from_db()
        messages.success(request, f"Replayed {delivery.event}: {replay.get_status_display()}.")
    return redirect("webhooks:webhook_list")


@require_POST
@permission_required(MANAGE_WEBHOOKS, raise_exception=True)
def subscription_ping_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a ping to a subscription; back to the list with a message."""
    subscription = get_object_or_404(subscription_list_for_user(user=request.user), pk=pk)
    delivery = subscription_ping(actor=request.user, subscription=subscription)
    delivery.refresh_from_db()
    messages.success(request, f"Ping to {subscription.name}: {delivery.get_status_display()}.")
    return redirect("webhooks:webhook_list")
