"""Pages of the accounts app: member accounts, people, API tokens, the audit log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import login_throttle, onboarding, organizations, selectors, services
from accounts.aws import AwsGateway
from accounts.choices import CheckOutcome
from accounts.delegated import account_source_modes
from accounts.forms import AwsAccountForm, PersonCreateForm, PersonForm, TokenCreateForm
from accounts.models import AccessProfile, AwsAccount
from accounts.roles import role_of
from accounts.validators import ACCOUNT_ID_RE

MANAGE_ACCOUNTS = "accounts.manage_accounts"
MANAGE_PEOPLE = "accounts.manage_people"


def account_list(request: HttpRequest) -> HttpResponse:
    """Member accounts this person sees."""
    accounts = selectors.account_list_for_user(user=request.user)
    return render(request, "accounts/awsaccount_list.html", {"accounts": accounts})


def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    """One member account; admins also see its onboarding (policies, template, last check)."""
    account = selectors.account_get_for_user(user=request.user, account_id=account_id)
    if account is None:
        raise Http404("No such account.")
    context: dict[str, Any] = {"account": account}
    if request.user.has_perm(MANAGE_ACCOUNTS):
        context.update(check=account.connection_checks.first(), **_onboarding(account))
    return render(request, "accounts/awsaccount_detail.html", context)


def _onboarding(account: AwsAccount) -> dict[str, Any]:
    hub = onboarding.hub_trust()
    context: dict[str, Any] = {
        "hub": hub,
        "no_hub_principal": onboarding.NO_HUB_PRINCIPAL,
        "permissions_policy": json.dumps(onboarding.permissions_policy(), indent=2),
        "payer_policy": json.dumps(onboarding.payer_policy(), indent=2),
        "source_modes": account_source_modes(account=account),
    }
    if hub is not None:
        context.update(
            trust_policy=json.dumps(
                onboarding.trust_policy(external_id=account.external_id, hub=hub), indent=2
            ),
            cloudformation=onboarding.role_template_yaml(account, hub),
            partition_mismatch=hub.partition != account.partition,
        )
    return context


@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def account_role_template(request: HttpRequest, account_id: str) -> HttpResponse:
    """The role's CloudFormation template as a file (`?stackset=1`: the StackSet variant)."""
    visible = selectors.account_list_for_user(user=request.user)
    account = get_object_or_404(visible, account_id=account_id)
    hub = onboarding.hub_trust()
    if hub is None:
        return HttpResponse(onboarding.NO_HUB_PRINCIPAL, status=409, content_type="text/plain")
    stackset = request.GET.get("stackset") == "1"
    body = onboarding.role_template_yaml(account, hub, stackset=stackset)
    name = (
        "watchpost-role-stackset.yaml" if stackset else f"watchpost-role-{account.account_id}.yaml"
    )
    response = HttpResponse(body, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def hub_principal_refresh(request: HttpRequest) -> HttpResponse:
    """Ask STS again who Watchpost's credentials are (audited), then go back where we were."""
    hub = onboarding.hub_principal_learn(
        gateway=AwsGateway(session_name="watchpost-hub"), learned_by="admin", actor=request.user
    )
    if hub is None:
        messages.error(
            request, "STS GetCallerIdentity did not answer: " + onboarding.NO_HUB_PRINCIPAL
        )
    else:
        messages.success(request, f"Watchpost's AWS identity: {hub.caller_arn}.")
    account_id = request.POST.get("account_id", "")
    visible = selectors.account_list_for_user(user=request.user)
    if ACCOUNT_ID_RE.fullmatch(account_id) and visible.filter(account_id=account_id).exists():
        return redirect("accounts:account_detail", account_id=account_id)
    return redirect("accounts:account_list")


@require_POST
@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def account_check(request: HttpRequest, account_id: str) -> HttpResponse:
    """Check the connection now; only here, and only when asked, try without the ExternalId."""
    visible = selectors.account_list_for_user(user=request.user)
    account = get_object_or_404(visible, account_id=account_id)
    check = organizations.account_check(
        account=account,
        actor=request.user,
        test_without_external_id=request.POST.get("without_external_id") == "on",
        enable_on_success=request.POST.get("enable") == "on",
    )
    level = messages.SUCCESS if check.outcome == "ok" else messages.ERROR
    messages.add_message(request, level, f"Connection check: {check.get_outcome_display()}.")
    return redirect("accounts:account_detail", account_id=account.account_id)


@require_POST
@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def account_payer(request: HttpRequest, account_id: str) -> HttpResponse:
    """Mark this account as the payer (unmarking any other) or unmark it; audited."""
    visible = selectors.account_list_for_user(user=request.user)
    account = get_object_or_404(visible, account_id=account_id)
    is_payer = request.POST.get("is_payer") == "on"
    try:
        services.account_set_payer(actor=request.user, account=account, is_payer=is_payer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "the payer" if is_payer else "no longer the payer"
        messages.success(request, f"{account} is {state}.")
    return redirect("accounts:account_detail", account_id=account.account_id)


def collection_health(request: HttpRequest) -> HttpResponse:
    """Account x region x source: last outcome, age and error; overdue sources flagged stale."""
    rows = selectors.collection_health_rows(user=request.user)
    outcome = request.GET.get("outcome", "")
    if outcome == "stale":
        rows = [r for r in rows if r.stale]
    elif outcome == "not_covered":
        rows = [r for r in rows if r.coverage == "not_covered"]
    elif outcome:
        rows = [r for r in rows if r.run and r.run.outcome == outcome]
    context = {"rows": rows, "outcome": outcome, "outcomes": CheckOutcome.choices}
    return render(request, "accounts/collection_health.html", context)


@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def account_edit(request: HttpRequest, account_id: str | None = None) -> HttpResponse:
    """Add a member account, or edit one; nothing is written unless every field is valid."""
    instance = None
    if account_id:
        visible = selectors.account_list_for_user(user=request.user)
        instance = get_object_or_404(visible, account_id=account_id)
    form = AwsAccountForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_save(actor=request.user, account=form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {account}.")
            return redirect("accounts:account_detail", account_id=account.account_id)
    return render(request, "accounts/awsaccount_form.html", {"form": form, "account": instance})


@permission_required(MANAGE_PEOPLE, raise_exception=True)
def person_list(request: HttpRequest) -> HttpResponse:
    """Everyone who can log in, with their role and accounts."""
    people = get_user_model().objects.order_by("username").prefetch_related("groups")
    profiles = {
        p.user_id: p
        for p in AccessProfile.objects.prefetch_related("accounts").filter(user__in=people)
    }
    rows = [(person, role_of(person), profiles.get(person.pk)) for person in people]
    return render(request, "accounts/person_list.html", {"rows": rows})


@permission_required(MANAGE_PEOPLE, raise_exception=True)
def person_create(request: HttpRequest) -> HttpResponse:
    """Add a person; their role and accounts are set next."""
    form = PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = form.save(commit=False)
        person.set_password(form.cleaned_data["password"])
        person.save()
        services.audit_record(actor=request.user, action="person.created", target=person)
        return redirect("accounts:person_edit", pk=person.pk)
    return render(request, "accounts/person_create.html", {"form": form})


@permission_required(MANAGE_PEOPLE, raise_exception=True)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a person's role, the accounts they see, and whether they may log in.

    Nobody changes their own access, nor that of someone who sees more than they do
    (services.person_access_check): the page then shows why, and a POST answers 403.
    """
    person = get_object_or_404(get_user_model(), pk=pk)
    try:
        services.person_access_check(actor=request.user, user=person)
    except services.AccessRefused as exc:
        refused: str | None = str(exc)
    else:
        refused = None
    if refused and request.method == "POST":
        raise PermissionDenied(refused)
    profile = AccessProfile.objects.filter(user=person).first()
    initial = {
        "role": role_of(person) or "",
        "all_accounts": bool(profile and profile.all_accounts),
        "accounts": list(profile.accounts.all()) if profile else [],
        "ous": list(profile.ous.all()) if profile else [],
        "is_active": person.is_active,
    }
    form = PersonForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_set_access(
                actor=request.user,
                user=person,
                role=data["role"] or None,
                all_accounts=data["all_accounts"],
                accounts=data["accounts"],
                # Left as they are when this person may not grant OUs (the field is disabled).
                ous=None if form.fields["ous"].disabled else data["ous"],
            )
            services.person_set_active(actor=request.user, user=person, active=data["is_active"])
        except services.AccessRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved access of {person.get_username()}.")
            return redirect("accounts:person_list")
    context = {
        "form": form,
        "person": person,
        "refused": refused,
        "locked_out": login_throttle.is_locked_out(person),
    }
    return render(request, "accounts/person_edit.html", context)


@require_POST
@permission_required(MANAGE_PEOPLE, raise_exception=True)
def person_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the login lockout of a person's username (audited)."""
    person = get_object_or_404(get_user_model(), pk=pk)
    services.person_access_check(actor=request.user, user=person)
    login_throttle.person_unlock(actor=request.user, user=person)
    messages.success(request, f"Unlocked the login of {person.get_username()}.")
    return redirect("accounts:person_edit", pk=person.pk)


@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """This person's API tokens (everyone's for those who manage tokens), and a form for a new one.

    A new token's raw value travels to the next page in the session and is removed as it is shown
    (post/redirect/get), so a reload neither shows it again nor creates a second token.
    """
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, raw = services.token_create(
            actor=request.user, user=request.user, **form.cleaned_data
        )
        request.session["new_token"] = raw
        return redirect("accounts:token_list")
    tokens = selectors.token_list_for_user(user=request.user)
    context: dict[str, Any] = {
        "form": form,
        "tokens": tokens,
        "new_raw": request.session.pop("new_token", None),
    }
    return render(request, "accounts/apitoken_list.html", context)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one token this person may see."""
    token = get_object_or_404(selectors.token_list_for_user(user=request.user), pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Revoked token {token.name}.")
    return redirect("accounts:token_list")


@permission_required("accounts.view_audit_log", raise_exception=True)
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first."""
    page = Paginator(selectors.audit_list(user=request.user), 100).get_page(request.GET.get("page"))
    return render(request, "accounts/auditevent_list.html", {"page": page})


# --- passwords: Django's views, each change in the audit log ----------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """A person changes their own password (old one asked); audited as password.changed."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.audit_record(actor=form.user, action="password.changed", target=form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """A reset link asked for by email; audited as password.reset_requested for each person it is
    sent to (nothing for an unknown address, and the page says the same either way)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        address = form.cleaned_data["email"]
        for person in form.get_users(address):
            services.audit_record(
                actor=None,
                action="password.reset_requested",
                target=person,
                changes={"ip_address": login_throttle.client_ip(self.request)},
            )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password set through a reset link; audited as password.reset."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.audit_record(
            actor=form.user,
            action="password.reset",
            target=form.user,
            changes={"ip_address": login_throttle.client_ip(self.request)},
        )
        return response
