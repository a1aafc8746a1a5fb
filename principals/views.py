"""The Users page (principals by tier and identity type) and a principal's page (why this tier)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode

from accounts.selectors import account_list_for_user
from core.charts import figure_json
from principals import charts, selectors
from principals.choices import UserTier
from principals.filtersets import NO_TIER, PrincipalFilterSet
from principals.tiers import READ_VOLUME_THRESHOLD, WINDOW

PAGE_SIZE = 50


def _users_url(identity_type: str, tier: str | None) -> str:
    query = {"identity_type": identity_type, "tier": tier or NO_TIER}
    return f"{reverse('principals:principal_list')}?{urlencode(query)}"


def _filter_form(form: Any, request: HttpRequest) -> Any:
    """The filters with the accounts this person sees as a choice, and lists tall enough to read."""
    accounts = account_list_for_user(user=request.user).values_list("account_id", "name")
    choices = [("", "every account"), *((a, f"{a} {n}".strip()) for a, n in accounts)]
    form.fields["account"].widget = forms.Select(choices=choices)
    form.fields["tier"].widget.attrs["size"] = len(form.fields["tier"].choices)
    form.fields["identity_type"].widget.attrs["size"] = len(form.fields["identity_type"].choices)
    return form


def principal_list(request: HttpRequest) -> HttpResponse:
    """Principals by tier (counts and list) and identity type, filtered by account, tier, identity
    type and text."""
    filterset = PrincipalFilterSet(request.GET or None, every_filter=True)
    try:
        principals = selectors.principal_list_for_user(user=request.user, filters=request.GET)
    except ValidationError:
        principals = selectors.principal_list_for_user(user=request.user).none()
    by_type = selectors.principal_tier_by_type(principals=principals)  # one query for both
    figure = charts.principals_by_type_figure(by_type, link=_users_url)
    context = {
        "form": _filter_form(filterset.form, request),
        "page": Paginator(principals, PAGE_SIZE).get_page(request.GET.get("page")),
        "counts": selectors.principal_counts(principals=principals, rows=by_type),
        "tiers": [*UserTier.choices, (NO_TIER, "No tier")],
        "fig_types": figure_json(figure),
        "as_of": selectors.principals_as_of_for_user(user=request.user),
        "window_days": WINDOW.days,
        "read_threshold": READ_VOLUME_THRESHOLD,
    }
    return render(request, "principals/principal_list.html", context)


def _with_times(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence with each event's time parsed, for the date filter."""
    events = [
        {**e, "at": parse_datetime(str(e.get("event_time", "")))}
        for e in evidence.get("events", [])
    ]
    return {**evidence, "events": events}


def principal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Why this tier (the qualifying events), failed calls, last activity, findings naming it."""
    principal = selectors.principal_get_for_user(user=request.user, pk=pk)
    if principal is None:
        raise Http404("No such principal.")
    context = {
        "principal": principal,
        "evidence": _with_times(principal.evidence or {}),
        "failed": selectors.principal_failed_events(principal=principal),
        "recent": selectors.principal_recent_events(principal=principal)[:10],
        "findings": selectors.principal_findings_for_user(user=request.user, principal=principal),
        "window_days": WINDOW.days,
        "read_threshold": READ_VOLUME_THRESHOLD,
    }
    return render(request, "principals/principal_detail.html", context)
