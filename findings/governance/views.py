"""Pages of governance: risk acceptances (list, new, delete, accept one finding's risk) and SLAs
(days per severity, breaches and mean time to resolve per severity and account)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import account_list_for_user
from findings.governance.acceptance import (
    ACCEPT_PERMISSION,
    risk_acceptance_create,
    risk_acceptance_delete,
    risk_acceptance_list_for_user,
)
from findings.governance.forms import AcceptRiskForm, RiskAcceptanceForm, SlaForm
from findings.governance.sla import mttr_days, sla_breached_counts, sla_days, sla_days_set
from findings.models import Finding
from findings.overview import finding_list_url
from findings.selectors import finding_get_for_user, finding_list_for_user

SLA_PERMISSION = "findings.manage_sla"


def _add_errors(form: RiskAcceptanceForm | AcceptRiskForm | SlaForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def risk_acceptance_list(request: HttpRequest) -> HttpResponse:
    """The rules of the person's accounts; Admins and Managers add rules here (POST)."""
    can_accept = request.user.has_perm(ACCEPT_PERMISSION)
    accounts = list(account_list_for_user(user=request.user))
    form = RiskAcceptanceForm(request.POST if request.method == "POST" else None, accounts=accounts)
    status = 200
    if request.method == "POST":
        if not can_accept:
            return HttpResponse("Only Admins and Managers accept risks.", status=403)
        if form.is_valid():
            try:
                rule = risk_acceptance_create(actor=request.user, data=form.rule_data())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Risk acceptance {rule.pk} saved.")
                return redirect("findings:risk_acceptance_list")
        status = 400
    rules = risk_acceptance_list_for_user(user=request.user)
    context = {"rules": rules, "form": form, "can_accept": can_accept}
    return render(request, "findings/riskacceptance_list.html", context, status=status)


@require_POST
@permission_required(ACCEPT_PERMISSION, raise_exception=True)
def risk_acceptance_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule of the person's accounts; its findings reopen."""
    rule = risk_acceptance_list_for_user(user=request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404("No such risk acceptance.")
    reopened = risk_acceptance_delete(actor=request.user, rule=rule)
    messages.success(request, f"Risk acceptance deleted; {reopened} findings reopened.")
    return redirect("findings:risk_acceptance_list")


@require_POST
@permission_required(ACCEPT_PERMISSION, raise_exception=True)
def finding_accept_risk(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Accept risk" on a finding's page: a rule for that finding alone."""
    finding = finding_get_for_user(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    form = AcceptRiskForm(request.POST, prefix="accept")
    if form.is_valid():
        try:
            risk_acceptance_create(
                actor=request.user, data={**form.rule_data(), "finding": finding.pk}
            )
        except ValidationError as exc:
            _add_errors(form, exc)
    if form.errors:
        text = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"Risk not accepted: {text}")
    else:
        messages.success(request, "Risk accepted for this finding.")
    return redirect("findings:finding_detail", pk=finding.pk)


def sla(request: HttpRequest) -> HttpResponse:
    """The SLA per severity (Admins change it here), breaches and mean time to resolve per
    severity and account, for the person's accounts."""
    days = sla_days()
    can_change = request.user.has_perm(SLA_PERMISSION)
    form = SlaForm(request.POST if request.method == "POST" else None, days=days)
    status = 200
    if request.method == "POST":
        if not can_change:
            return HttpResponse("Only Admins change the SLAs.", status=403)
        if form.is_valid():
            try:
                sla_days_set(actor=request.user, days=form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, "SLAs saved.")
                return redirect("findings:sla")
        status = 400
    visible = finding_list_for_user(user=request.user)
    context = {
        "days": days,
        "form": form,
        "can_change": can_change,
        "mttr_severity": mttr_days(visible),
        "accounts": _per_account(request.user, visible, days),
        "breached_url": finding_list_url(sla_breached="true"),
    }
    return render(request, "findings/sla.html", context, status=status)


def _per_account(user: Any, visible: QuerySet[Finding], days: dict[str, int]) -> list[dict]:
    """Each visible account: its breaches (linked to the list) and mean time to resolve."""
    late = {
        row["account__account_id"]: row["n"]
        for row in sla_breached_counts(visible, by=("account__account_id",), days=days)
    }
    mttr = mttr_days(visible, by="account__account_id")
    return [
        {
            "account_id": account.account_id,
            "name": account.name,
            "breached": late.get(account.account_id, 0),
            "url": finding_list_url(sla_breached="true", account=account.account_id),
            "mttr": mttr.get(account.account_id),
        }
        for account in account_list_for_user(user=user).only("account_id", "name")
    ]
