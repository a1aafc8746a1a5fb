"""Pages of findings: the list (filters, sorting, keyset pages, CSV, bulk status), one finding
(the analyst's view and its workflow), and the overview of charts."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.ous import ous_above
from accounts.selectors import account_list_for_user
from core.charts import figure_json
from core.csvstream import csv_response
from core.keyset import keyset_page, page_count
from findings import charts
from findings.choices import WORKFLOW_EVENT_KINDS, WORKFLOW_STATUS_CHOICES, FindingStatus
from findings.details import finding_actor_facts
from findings.export import finding_csv_lines
from findings.forms import (
    DEFAULT_ORDERING,
    BulkWorkflowForm,
    WorkflowForm,
    assignable_people,
    finding_filter_form,
)
from findings.governance.acceptance import ACCEPT_PERMISSION
from findings.governance.forms import AcceptRiskForm
from findings.governance.sla import with_sla
from findings.overview import finding_overview_for_user
from findings.rows import finding_rows
from findings.selectors import finding_get_for_user, finding_list_for_user
from findings.services.workflow import (
    WORKFLOW_PERMISSION,
    finding_workflow_update,
    finding_workflow_update_many,
)

PAGE_SIZE = 50
# What a row of the page shows, and every sort order's columns (the cursor is made of them).
PAGE_COLUMNS = (
    "id",
    "severity",
    "severity_rank",
    "severity_score",
    "title",
    "type",
    "account__account_id",
    "account__name",
    "region",
    "resource_type",
    "resource_id",
    "status",
    "aws_state",
    "service_count",
    "first_seen",
    "last_seen",
    "updated_at",
)
# Parameters of the page itself, not filters: never passed on to the API twin or the CSV.
_PAGE_PARAMS = ("cursor", "page")
# Sortable columns: (FilterSet ordering name, first direction when clicked).
SORTABLE = {"severity": "-", "last_seen": "-", "account": "", "service_count": "-"}


def _filters(query: QueryDict) -> QueryDict:
    """The query without page parameters and empty values, sorted as the list sorts by default."""
    filters = QueryDict(mutable=True)
    for key in query:
        values = [v for v in query.getlist(key) if v.strip()]
        if key not in _PAGE_PARAMS and values:
            filters.setlist(key, values)
    filters.setdefault("ordering", DEFAULT_ORDERING)
    return filters


def _sort_links(filters: QueryDict) -> dict[str, dict[str, str]]:
    """Per sortable column, the URL that sorts by it (toggling when it is the current order)."""
    current = filters.get("ordering", DEFAULT_ORDERING)
    links = {}
    for name, first in SORTABLE.items():
        if current.lstrip("-") == name:
            ordering, state = ("" if current.startswith("-") else "-") + name, current
        else:
            ordering, state = first + name, ""
        query = filters.copy()
        query["ordering"] = ordering
        links[name] = {
            "url": f"?{query.urlencode()}",
            "state": "descending" if state.startswith("-") else "ascending" if state else "",
        }
    return links


def finding_list(request: HttpRequest) -> HttpResponse:
    """Findings of the person's accounts, filtered by the API's FilterSet, in keyset pages."""
    filters = _filters(request.GET)
    accounts = list(account_list_for_user(user=request.user).select_related("ou"))
    form = finding_filter_form(filters, accounts=accounts, ous=ous_above(accounts))
    context: dict[str, Any] = {"form": form, "filters": filters.urlencode()}
    try:
        findings = with_sla(
            finding_list_for_user(user=request.user, filters=filters)
            .select_related(None)
            .select_related("account")
            .only(*PAGE_COLUMNS)
        )
        page = keyset_page(findings, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except ValidationError as exc:
        context["errors"] = exc.message_dict
        return render(request, "findings/finding_list.html", context, status=400)
    context.update(
        page=page,
        rows=finding_rows(page.rows),
        count=page_count(page, findings),
        sort=_sort_links(filters),
        api_url=f"{reverse('api:finding-list')}?{filters.urlencode()}",
        csv_url=f"{reverse('findings:finding_export')}?{filters.urlencode()}",
        can_change=request.user.has_perm(WORKFLOW_PERMISSION),
        statuses=WORKFLOW_STATUS_CHOICES,
    )
    return render(request, "findings/finding_list.html", context)


def finding_export(request: HttpRequest) -> HttpResponseBase:
    """The list's findings, every page of them, as CSV, streamed as it is read."""
    try:
        findings = with_sla(finding_list_for_user(user=request.user, filters=_filters(request.GET)))
    except ValidationError as exc:
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return csv_response(finding_csv_lines(findings), filename=f"findings-{stamp}.csv")


@require_POST
@permission_required(WORKFLOW_PERMISSION, raise_exception=True)
def finding_bulk_update(request: HttpRequest) -> HttpResponse:
    """Set the status of the ticked findings (those the person may see; others are ignored)."""
    form = BulkWorkflowForm(request.POST)
    back = _safe_next(request, request.POST.get("next", ""))
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    data = form.cleaned_data
    findings = finding_list_for_user(user=request.user).filter(pk__in=data["ids"])
    changed = finding_workflow_update_many(
        findings=findings.select_related(None).only("pk"),
        actor=request.user,
        status=data["status"],
        note=data["note"],
    )
    label = FindingStatus(data["status"]).label
    messages.success(request, f"{len(changed)} of {len(data['ids'])} findings set to {label}.")
    return redirect(back)


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("findings:finding_list")


def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One finding laid out for an analyst, its history, and the workflow form."""
    finding = finding_get_for_user(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    return _detail(request, finding, form=None)


def _detail(
    request: HttpRequest, finding: Any, *, form: WorkflowForm | None, status: int = 200
) -> HttpResponse:
    events = list(finding.events.select_related("actor").order_by("at", "id"))
    can_change = request.user.has_perm(WORKFLOW_PERMISSION)
    if can_change and form is None:
        form = WorkflowForm(
            initial={
                "status": finding.status,
                "assignee": finding.assignee.get_username() if finding.assignee else "",
                "ticket_ref": finding.ticket_ref,
            },
            people=assignable_people(account=finding.account),
            current_status=finding.status,
        )
    context = {
        "finding": finding,
        "actor": finding_actor_facts(finding.raw),
        "raw_json": json.dumps(finding.raw, indent=2, sort_keys=True, ensure_ascii=False),
        "observations": [e for e in events if e.kind not in WORKFLOW_EVENT_KINDS],
        "history": [e for e in events if e.kind in WORKFLOW_EVENT_KINDS][::-1],
        "form": form,
        "can_change": can_change,
        "can_accept": request.user.has_perm(ACCEPT_PERMISSION) and finding.is_open,
        "accept_form": AcceptRiskForm(prefix="accept"),
    }
    return render(request, "findings/finding_detail.html", context, status=status)


@require_POST
@permission_required(WORKFLOW_PERMISSION, raise_exception=True)
def finding_workflow(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one finding's status, assignee, ticket reference, or add a note."""
    finding = finding_get_for_user(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    form = WorkflowForm(
        request.POST,
        people=assignable_people(account=finding.account),
        current_status=finding.status,
    )
    if form.is_valid():
        try:
            changed = finding_workflow_update(finding=finding, actor=request.user, **form.changes())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
            )
            return redirect("findings:finding_detail", pk=finding.pk)
    return _detail(request, finding, form=form, status=400)


def overview(request: HttpRequest) -> HttpResponse:
    """Open findings by severity over time, by account (or OU: ?heatmap=ou) and severity, top
    types, newest worst."""
    by = "ou" if request.GET.get("heatmap") == "ou" else "account"
    data = finding_overview_for_user(user=request.user, heatmap_by=by)
    links = {row["severity"]: row["url"] for row in data.by_severity}
    title = f"Open findings by {'organisational unit' if by == 'ou' else 'account'} and severity"
    context = {
        "data": data,
        "heatmap_by": by,
        "heatmap_title": title,
        "fig_trend": figure_json(charts.severity_trend_figure(data.trend, links=links)),
        "fig_heatmap": figure_json(charts.severity_heatmap_figure(data.heatmap, title=title)),
        "fig_types": figure_json(charts.top_types_figure(data.top_types)),
        "open_url": reverse("findings:finding_list") + "?open=true",
    }
    return render(request, "findings/overview.html", context)
