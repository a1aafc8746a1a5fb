"""The categories page (the 13 alert categories) and the Macie page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.charts import figure_json
from findings.categories.charts import bar_figure, category_trend_figure
from findings.categories.report import category_report_for_user, macie_report_for_user
from findings.choices import FindingSource
from findings.overview import findings_as_of


def category_list(request: HttpRequest) -> HttpResponse:
    """Thirteen tiles with open counts by severity, and categories over time."""
    report = category_report_for_user(user=request.user)
    context = {
        "report": report,
        "fig_trend": figure_json(category_trend_figure(report.trend)),
        "as_of": findings_as_of(
            user=request.user, sources=[FindingSource.GUARDDUTY, FindingSource.MACIE]
        ),
    }
    return render(request, "findings/category_list.html", context)


def macie(request: HttpRequest) -> HttpResponse:
    """Macie's open findings by category, severity and bucket; sensitive data; exposed buckets."""
    report = macie_report_for_user(user=request.user)
    context = {
        "report": report,
        "fig_category": figure_json(bar_figure(report.by_category, title="By category")),
        "fig_severity": figure_json(
            bar_figure(report.by_severity, title="By severity", colour_by_severity=True)
        ),
        "fig_bucket": figure_json(bar_figure(report.by_bucket, title="Top buckets")),
        "as_of": findings_as_of(user=request.user, sources=[FindingSource.MACIE]),
    }
    return render(request, "findings/macie.html", context)
