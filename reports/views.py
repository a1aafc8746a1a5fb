"""The report page (/reports/), its CSV tables, and the digest opt-in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.charts import figure_json
from core.csvstream import csv_lines, csv_response
from findings import charts
from reports.forms import ReportForm
from reports.selectors import Report, digest_opted_in, report_for_user
from reports.services import digest_set
from reports.tables import TABLES, report_table

__all__ = ["digest_toggle", "report", "report_export"]


def _report(request: HttpRequest) -> tuple[ReportForm, Report | None]:
    form = ReportForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {"period": "week"}
    return form, report_for_user(
        user=request.user,
        period=data["period"],
        account=data.get("account") or None,
        ou=data.get("ou") or None,
    )


def report(request: HttpRequest) -> HttpResponse:
    """The manager's report of one account or OU (or every account seen) for a week or month."""
    form, data = _report(request)
    context: dict[str, Any] = {"form": form, "report": data}
    if data is None:
        return render(request, "reports/report.html", context, status=400)
    query = urlencode({**data.scope, "period": data.period})
    links = {s: data.links[f"open_{s}"] for s in data.open_by_severity}
    context.update(
        query=query,
        csv_urls={name: f"export.csv?table={name}&{query}" for name in TABLES},
        fig_trend=figure_json(charts.severity_trend_figure(data.trend, links=links)),
        digest=digest_opted_in(user=request.user),
    )
    return render(request, "reports/report.html", context)


def report_export(request: HttpRequest) -> HttpResponseBase:
    """One of the report's tables (`table`: summary, top_risks, budgets, anomalies) as CSV."""
    form, data = _report(request)
    table = request.GET.get("table", "summary")
    if data is None or table not in TABLES:
        errors = form.errors.as_text() if data is None else f"table: one of {', '.join(TABLES)}."
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    header, rows = report_table(data, table, base=request.build_absolute_uri("/"))
    stamp = data.period_end.strftime("%Y%m%d")
    return csv_response(csv_lines(header, rows), filename=f"report-{table}-{stamp}.csv")


@require_POST
def digest_toggle(request: HttpRequest) -> HttpResponse:
    """Opt in to (or out of) the weekly digest by email."""
    on = request.POST.get("weekly_digest") == "on"
    digest_set(user=request.user, weekly=on)
    messages.success(
        request, "You will receive the weekly digest." if on else "Weekly digest turned off."
    )
    return redirect("reports:report")
