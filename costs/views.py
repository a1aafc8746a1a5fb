"""Pages of the costs app: overview, anomalies (list, detail, feedback), budgets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts.ous import ou_label, ou_list_for_user
from core.charts import figure_json
from costs import charts, clock, selectors
from costs.choices import AnomalyFeedback
from costs.filtersets import BudgetFilterSet, CostAnomalyFilterSet
from costs.forms import AnomalyFeedbackForm, CostOverviewForm
from costs.overview import CostOverview, cost_overview_for_user
from costs.services import AnomalyFeedbackRefused, anomaly_feedback_send
from costs.severity import RULE as SEVERITY_RULE
from costs.sources.budgets import SOURCE as BUDGETS
from costs.sources.costs import SOURCE as COSTS

FEEDBACK_PERMISSION = "costs.send_anomaly_feedback"
PAGE_SIZE = 50


def _url(name: str, **query: str) -> str:
    query = {k: v for k, v in query.items() if v}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _overview_figures(data: CostOverview) -> dict[str, Any]:
    names = {a: f"{a} {n}".strip() for a, n in data.names.items()}
    month_end = None
    if data.forecast is not None:
        last_day = (data.today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1)
        month_end = (last_day, data.forecast.month_end)
    anomalies = reverse("costs:anomaly_list")
    by_account = charts.stacked_spend_figure(
        data.by_account,
        title="Daily spend by account",
        labels=names,
        link=lambda key: _url("costs:overview", account=key),
        as_of=data.as_of,
    )
    by_service = charts.stacked_spend_figure(
        data.by_service,
        title="Daily spend by service",
        labels={},
        link=lambda key: _url("costs:anomaly_list", service=key),
        as_of=data.as_of,
    )
    month = charts.month_to_date_figure(
        this_month=data.this_month,
        last_month=data.last_month,
        month_end=month_end,
        link=anomalies,
        as_of=data.as_of,
    )
    return {
        "fig_by_account": figure_json(by_account),
        "fig_by_service": figure_json(by_service),
        "fig_month": figure_json(month),
    }


def overview(request: HttpRequest) -> HttpResponse:
    """Spend over time by account and by service, month to date, forecast, top movers."""
    names = selectors.account_names_for_user(user=request.user)
    ous = [(u.ou_id, ou_label(u)) for u, _a in ou_list_for_user(user=request.user)]
    form = CostOverviewForm(request.GET or None, accounts=names, ous=ous)
    valid = form.is_valid() if form.is_bound else True
    params = form.cleaned_data if form.is_bound and valid else {}
    data = cost_overview_for_user(
        user=request.user,
        today=clock.now().date(),
        days=params.get("days") or 30,
        account=params.get("account") or None,
        ou=params.get("ou") or None,
    )
    context = {"form": form, "data": data, **_overview_figures(data)}
    return render(request, "costs/cost_overview.html", context)


def anomaly_list(request: HttpRequest) -> HttpResponse:
    """Anomalies filterable by account, service, dates, minimum impact, feedback, severity."""
    filterset = CostAnomalyFilterSet(request.GET or None)
    try:
        anomalies = selectors.anomaly_list_for_user(user=request.user, filters=request.GET)
    except ValidationError:
        anomalies = selectors.anomaly_list_for_user(user=request.user).none()
    page = Paginator(anomalies, PAGE_SIZE).get_page(request.GET.get("page"))
    visible = selectors.visible_account_ids(user=request.user)
    page.object_list = [
        selectors.anomaly_redact_instance(anomaly, visible) for anomaly in page.object_list
    ]
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "names": selectors.account_names_for_user(user=request.user),
        "severity_rule": SEVERITY_RULE,
        "usage": selectors.ce_usage_for_user(user=request.user, today=clock.now().date()),
        "as_of": selectors.data_as_of(user=request.user, source=COSTS.name),
    }
    return render(request, "costs/costanomaly_list.html", context)


def anomaly_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One anomaly: root causes by contribution, expected against actual, feedback, and the
    account's security findings in the same window."""
    anomaly = selectors.anomaly_get_for_user(user=request.user, pk=pk)
    if anomaly is None:
        raise Http404("No such anomaly.")
    selectors.anomaly_redact_instance(anomaly, selectors.visible_account_ids(user=request.user))
    now = clock.now()
    as_of = selectors.data_as_of(user=request.user, source=COSTS.name)
    figure = charts.anomaly_figure(
        daily=selectors.anomaly_daily_spend(user=request.user, anomaly=anomaly),
        start=anomaly.start_date,
        end=anomaly.end_date,
        expected=anomaly.total_expected,
        actual=anomaly.total_actual,
        link=_url("costs:anomaly_list", account=anomaly.account_id),
        as_of=as_of,
        totals_hidden=anomaly.totals_hidden,  # type: ignore[attr-defined]
    )
    related = selectors.anomaly_findings_for_user(user=request.user, anomaly=anomaly, now=now)
    context = {
        "anomaly": anomaly,
        "fig_anomaly": figure_json(figure),
        "as_of": as_of,
        "related": related,
        "findings_url": _findings_url(related.filters),
        "form": AnomalyFeedbackForm(),
        "can_feedback": request.user.has_perm(FEEDBACK_PERMISSION),
        "feedbacks": anomaly.feedbacks.select_related("user")[:20],
        "severity_rule": SEVERITY_RULE,
        "account_name": selectors.account_names_for_user(user=request.user).get(
            anomaly.account_id, ""
        ),
    }
    return render(request, "costs/costanomaly_detail.html", context)


def _findings_url(filters: dict[str, str]) -> str:
    return _url("findings:finding_list", **filters)


@require_POST
@permission_required(FEEDBACK_PERMISSION, raise_exception=True)
def anomaly_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Send feedback to AWS; an AWS refusal is shown as an error and changes nothing."""
    anomaly = selectors.anomaly_get_for_user(user=request.user, pk=pk)
    if anomaly is None:
        raise Http404("No such anomaly.")
    form = AnomalyFeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the three answers (the reason is optional).")
        return redirect("costs:anomaly_detail", pk=pk)
    try:
        anomaly_feedback_send(anomaly=anomaly, user=request.user, **form.cleaned_data)
    except AnomalyFeedbackRefused as exc:
        messages.error(request, f"AWS refused the feedback; nothing was changed. {exc}")
    else:
        label = AnomalyFeedback(form.cleaned_data["feedback"]).label
        messages.success(request, f"Sent to AWS: {label}.")
    return redirect("costs:anomaly_detail", pk=pk)


def budget_list(request: HttpRequest) -> HttpResponse:
    """Every budget with limit, actual, forecast, % used, status and notification states."""
    filterset = BudgetFilterSet(request.GET or None)
    try:
        budgets = list(selectors.budget_list_for_user(user=request.user, filters=request.GET))
    except ValidationError:
        budgets = []
    as_of = selectors.data_as_of(user=request.user, source=BUDGETS.name)
    rows = [
        {
            "name": b.name,
            "account_id": b.account.account_id,
            "status": b.status,
            "limit": b.limit,
            "actual": b.actual,
            "forecast": b.forecast,
            "unit": b.unit,
        }
        for b in budgets
    ]
    figure = charts.budget_figure(
        rows, link=lambda account: _url("costs:budget_list", account=account), as_of=as_of
    )
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "budgets": budgets,
        "fig_budgets": figure_json(figure),
        "as_of": as_of,
        "names": selectors.account_names_for_user(user=request.user),
        "usage": selectors.ce_usage_for_user(user=request.user, today=clock.now().date()),
    }
    return render(request, "costs/budget_list.html", context)
