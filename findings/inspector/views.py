"""The Inspector report page: organisation-wide or per account, with its CSV and JSON downloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import AwsAccount, OrganizationalUnit
from accounts.ous import ou_label, ou_list_for_user
from accounts.selectors import account_list_for_user
from core.charts import figure_json
from core.csvstream import csv_lines, csv_response
from findings.choices import Severity, VulnerabilityType
from findings.inspector import charts as charts_inspector
from findings.inspector.report import (
    REPORT_SEVERITIES,
    age_bounds,
    inspector_report_for_user,
    inspector_report_rows,
    report_filters,
)

# One row per open finding the report counts, in the report's order (worst first).
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("account_id", "account__account_id"),
    ("region", "region"),
    ("finding_arn", "source_id"),
    ("vulnerability_type", "vulnerability_type"),
    ("severity", "report_severity"),
    ("native_severity", "native_severity"),
    ("inspector_score", "severity_score"),
    ("cvss_score", "vulnerability__cvss_score"),
    ("epss_score", "vulnerability__epss_score"),
    ("exploit_available", "vulnerability__exploit_available"),
    ("fix_available", "vulnerability__fix_available"),
    ("cve_id", "vulnerability__cve_id"),
    ("package_name", "vulnerability__package_name"),
    ("package_version", "vulnerability__package_version"),
    ("fixed_in_version", "vulnerability__fixed_in_version"),
    ("resource_type", "resource_type"),
    ("resource_id", "resource_id"),
    ("resource_name", "vulnerability__resource_name"),
    ("first_observed", "first_seen"),
    ("last_observed", "last_seen"),
    ("age_days", "age_days"),
    ("title", "title"),
)
YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


class InspectorReportForm(forms.Form):
    """The report's filters as the page shows them; the FilterSet checks them (400 naming one)."""

    account = forms.ChoiceField(required=False)
    ou = forms.ChoiceField(required=False, label="Organisational unit")
    region = forms.CharField(required=False, max_length=32)
    severity = forms.MultipleChoiceField(
        required=False, choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    vulnerability_type = forms.ChoiceField(
        required=False, choices=[("", "Any"), *VulnerabilityType.choices], label="Type"
    )
    cve = forms.CharField(required=False, max_length=128, label="CVE")
    package = forms.CharField(required=False, max_length=255)
    exploit_available = forms.ChoiceField(required=False, choices=YES_NO, label="Exploit")
    fix_available = forms.ChoiceField(required=False, choices=YES_NO, label="Fix")

    def __init__(
        self,
        data: Any,
        *,
        accounts: QuerySet[AwsAccount],
        ous: Iterable[OrganizationalUnit] = (),
    ) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["account"]).choices = [("", "All accounts")] + [
            (a.account_id, f"{a.account_id} {a.name}".strip()) for a in accounts
        ]
        cast(forms.ChoiceField, self.fields["ou"]).choices = [("", "Every OU")] + [
            (u.ou_id, ou_label(u)) for u in ous
        ]


def _list_urls(filters: QueryDict) -> Callable[..., str]:
    """`url(**extra)`: the findings list behind a number, open Inspector findings with the
    report's filters and `extra` (each replacing a filter of its name where it has one).

    The list's path and the filters are read once for the page's hundred and more links.
    """
    path = reverse("findings:finding_list")
    base = filters.copy()
    base["source"] = "inspector"
    base["open"] = "true"
    lists = dict(base.lists())

    def url(**extra: str) -> str:
        query = {**lists, **{key: [value] for key, value in extra.items()}}
        return f"{path}?{urlencode([(k, v) for k, values in query.items() for v in values])}"

    return url


def _bad_filter(exc: ValidationError) -> HttpResponse:
    text = "\n".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


def inspector_report(request: HttpRequest) -> HttpResponseBase:
    """The report page (?format=csv or json: its downloads), for the person's accounts."""
    filters = report_filters(request.GET)
    fmt = request.GET.get("format", "")
    try:
        if fmt == "csv":
            return _csv(inspector_report_rows(user=request.user, filters=filters))
        data = inspector_report_for_user(user=request.user, filters=filters)
    except ValidationError as exc:
        if fmt:
            return _bad_filter(exc)
        return _page(request, filters, data=None, errors=exc.message_dict)
    if fmt == "json":
        return _json(data)
    return _page(request, filters, data=data)


def _page(
    request: HttpRequest,
    filters: QueryDict,
    *,
    data: dict[str, Any] | None,
    errors: Mapping[str, Any] | None = None,
) -> HttpResponse:
    accounts = account_list_for_user(user=request.user)
    query = filters.urlencode()
    list_url = _list_urls(filters)
    context: dict[str, Any] = {
        "form": InspectorReportForm(
            filters, accounts=accounts, ous=[u for u, _a in ou_list_for_user(user=request.user)]
        ),
        "data": data,
        "errors": errors,
        "severities": REPORT_SEVERITIES,
        "filter_summary": [(k, ", ".join(filters.getlist(k))) for k in filters],
        "csv_url": f"?{query}&format=csv" if query else "?format=csv",
        "json_url": f"?{query}&format=json" if query else "?format=json",
        "api_url": f"{reverse('api:inspector-report')}?{query}",
        "list_url": list_url(),
    }
    if data is not None:
        context.update(_figures(data, list_url))
        context["type_rows"] = [(VulnerabilityType(k).label, v) for k, v in data["by_type"].items()]
        context["resource_rows"] = [
            {**r, "url": list_url(resource=r["resource_id"], account=r["account_id"])}
            for r in data["resources"]
        ]
    return render(request, "findings/inspector_report.html", context, status=400 if errors else 200)


def _figures(data: dict[str, Any], list_url: Callable[..., str]) -> dict[str, Any]:
    def by_severity(severity: str) -> dict[str, str]:
        # untriaged is in our informational band (the list filters by band)
        return {"severity": "informational" if severity == "untriaged" else severity}

    day = data["generated_at"].astimezone(UTC).date()  # the day its ages count from
    return {
        "fig_severity": figure_json(
            charts_inspector.severity_type_figure(
                data["by_type"],
                severities=REPORT_SEVERITIES,
                link=lambda kind, s: list_url(vulnerability_type=kind, **by_severity(s)),
            )
        ),
        "fig_coverage": figure_json(
            charts_inspector.coverage_figure(data["coverage"]["by_resource_type"])
        ),
        "fig_age": figure_json(
            charts_inspector.age_figure(
                data["age"]["buckets"],
                severities=REPORT_SEVERITIES,
                link=lambda b, s: list_url(**age_bounds(b, today=day), **by_severity(s)),
            )
        ),
        "fig_cves": figure_json(
            charts_inspector.top_cves_figure(data["top_cves"], link=lambda cve: list_url(cve=cve))
        ),
    }


def _filename(extension: str) -> str:
    return f"inspector-report-{timezone.now():%Y%m%d-%H%M%S}.{extension}"


def _csv(rows: Iterable[dict[str, Any]]) -> StreamingHttpResponse:
    lines = csv_lines(
        [name for name, _key in CSV_COLUMNS],
        ([row[key] for _n, key in CSV_COLUMNS] for row in rows),
    )
    return csv_response(lines, filename=_filename("csv"))


def _json(data: dict[str, Any]) -> HttpResponse:
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return response
