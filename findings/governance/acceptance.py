"""Risk acceptances: rules that give the findings they match status `accepted` until they expire.

- `risk_acceptance_create(actor=..., ...)`: validates, scopes (a rule never reaches an account its
  creator cannot see), stores, accepts the matching open findings, audits.
- `risk_acceptance_delete(actor=..., rule=...)`: its findings back to `open`, audited.
- `risk_acceptances_expire(now=...)`: every rule past `expires_at` ends: its findings back to
  `open` with a history event and a `finding.reopened` webhook. Run hourly (Celery beat) and at
  the start of every collect (accounts.collection's start hooks).
- `risk_acceptances_apply(pks=...)`: newly collected (or reopened) findings that a live rule
  matches are accepted (findings.services.upsert calls it in the write's transaction).
- `risk_acceptance_q(rule)`: the findings a rule matches, as a Q.
- `ou_account_ids(ou)`: the accounts under an organisational unit, from the resolver the OU code
  registers (`ou_resolver_register`); with none registered an OU matches no account (fails closed).

Only findings whose status is open or acknowledged are accepted; a person's later status change
wins (expiry reopens only findings still `accepted` by that rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.utils import timezone

from accounts.models import AwsAccount
from accounts.selectors import account_list_for_user, account_scope_for_user
from findings.choices import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    FindingEventKind,
    FindingSource,
    FindingStatus,
    Severity,
)
from findings.models import Finding, FindingEvent, RiskAcceptance
from findings.services.clock import finding_change_time
from findings.signals import FindingChange, finding_changes_announce

# request.user: `User | AnonymousUser` to django-stubs; the services check has_perm themselves.
Person = Any

__all__ = [
    "ACCEPT_PERMISSION",
    "MAX_DAYS",
    "Person",
    "ou_account_ids",
    "ou_resolver_register",
    "risk_acceptance_create",
    "risk_acceptance_delete",
    "risk_acceptance_list_for_user",
    "risk_acceptance_q",
    "risk_acceptances_apply",
    "risk_acceptances_expire",
    "risk_acceptances_live",
]

ACCEPT_PERMISSION = "findings.manage_risk_acceptance"
MAX_DAYS = 365
REASON_MAX_LENGTH = 4000
OU_RE = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}")  # AWS's patterns
_ACCOUNT_RE = re.compile(r"\d{12}")
_no_nul = ProhibitNullCharactersValidator()

OuResolver = Callable[[str], Iterable[str]]
_resolver: list[OuResolver] = []


def ou_resolver_register(resolver: OuResolver) -> None:
    """Say how to find the account ids under an OU (its sub-OUs included); replaces any other."""
    _resolver[:] = [resolver]


def ou_account_ids(ou: str) -> list[str]:
    """The account ids under `ou`; none when no resolver knows the organisation's tree."""
    return sorted(set(_resolver[0](ou))) if _resolver else []


def risk_acceptance_list_for_user(*, user: Any) -> QuerySet[RiskAcceptance]:
    """The rules whose every account `user` sees (nothing without access), newest first, each
    with `matched`: the findings it accepts now."""
    scope = account_scope_for_user(user=user)
    rules = RiskAcceptance.objects.all()
    if scope is not None:
        visible = set(AwsAccount.objects.filter(pk__in=scope).values_list("account_id", flat=True))
        seen = [
            pk
            for pk, accounts in rules.values_list("pk", "scope_accounts")
            if set(accounts) <= visible
        ]
        rules = rules.filter(pk__in=seen)
    accepted = Q(findings__status=FindingStatus.ACCEPTED)
    return rules.annotate(matched=Count("findings", filter=accepted)).order_by("-created_at", "-id")


def risk_acceptances_live(*, now: datetime | None = None) -> QuerySet[RiskAcceptance]:
    """Rules not ended and not past their expiry at `now`."""
    return RiskAcceptance.objects.filter(
        ended_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def risk_acceptance_q(rule: RiskAcceptance) -> Q:
    """The findings `rule` matches (whatever their status): every criterion given must hold."""
    if rule.finding_id is not None:
        return Q(pk=rule.finding_id, account__account_id__in=rule.scope_accounts)
    accounts = set(rule.scope_accounts)
    if rule.accounts:
        accounts &= set(rule.accounts)
    if rule.ou:
        accounts &= set(ou_account_ids(rule.ou))
    match = Q(account__account_id__in=sorted(accounts))
    if rule.sources:
        match &= Q(source__in=rule.sources)
    if rule.type_prefix:
        match &= Q(type__startswith=rule.type_prefix)
    if rule.resource_id:
        match &= Q(resource_id=rule.resource_id)
    if rule.resource_tag:
        key, _, value = rule.resource_tag.partition("=")
        # The tag's value as text, on PostgreSQL and SQLite alike (JSON `contains` is not on SQLite).
        tag = KeyTextTransform(key, "vulnerability__resource_tags")
        match &= Q(Exact(tag, value))
    if rule.min_severity:
        match &= Q(severity_rank__gte=SEVERITY_RANK[rule.min_severity])
    if rule.max_severity:
        match &= Q(severity_rank__lte=SEVERITY_RANK[rule.max_severity])
    return match


def _accept(rule: RiskAcceptance, findings: QuerySet[Finding], now: datetime) -> list[int]:
    """Accept the open findings of `findings` that `rule` matches; one event each."""
    rows = list(
        findings.filter(risk_acceptance_q(rule), status__in=OPEN_STATUSES)
        .order_by("pk")
        .values_list("pk", "status")
    )
    if not rows:
        return []
    pks = [pk for pk, _ in rows]
    Finding.objects.filter(pk__in=pks, status__in=OPEN_STATUSES).update(
        status=FindingStatus.ACCEPTED, risk_acceptance=rule, updated_at=now
    )
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.ACCEPTED,
            at=now,
            actor=rule.created_by,
            actor_name=rule.created_by_name,
            changes={"status": [status, FindingStatus.ACCEPTED.value], "risk_acceptance": rule.pk},
        )
        for pk, status in rows
    )
    finding_changes_announce(dict.fromkeys(pks, FindingChange.UPDATED.value))
    return pks


def risk_acceptances_apply(*, pks: Sequence[int], now: datetime) -> list[int]:
    """Accept those of findings `pks` that a live rule matches (call inside the transaction that
    wrote them, after finding_change_time); returns the ids accepted. One query with no rule."""
    if not pks:
        return []
    accepted: list[int] = []
    for rule in risk_acceptances_live(now=now).select_related("created_by"):
        accepted += _accept(rule, Finding.objects.filter(pk__in=pks), now)
    return accepted


def _end(rule: RiskAcceptance, *, why: str, actor: Person | None) -> list[int]:
    """Reopen the findings `rule` still holds as accepted; mark it ended."""
    now = finding_change_time()
    rows = list(
        Finding.objects.filter(risk_acceptance=rule, status=FindingStatus.ACCEPTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Finding.objects.filter(pk__in=rows).update(
        status=FindingStatus.OPEN, risk_acceptance=None, updated_at=now
    )
    Finding.objects.filter(risk_acceptance=rule).update(risk_acceptance=None)
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.ACCEPTANCE_ENDED,
            at=now,
            actor=actor if actor is not None and actor.pk else None,
            actor_name=actor.get_username() if actor is not None else "",
            changes={
                "status": [FindingStatus.ACCEPTED.value, FindingStatus.OPEN.value],
                "risk_acceptance": rule.pk,
                "why": why,
            },
        )
        for pk in rows
    )
    RiskAcceptance.objects.filter(pk=rule.pk).update(ended_at=now)
    rule.ended_at = now
    finding_changes_announce(dict.fromkeys(rows, FindingChange.REOPENED.value))
    return rows


def risk_acceptances_expire(*, now: datetime | None = None) -> int:
    """End every rule past its expiry; returns how many findings reopened. Safe to run twice."""
    from accounts.services import audit_record

    now = now or timezone.now()
    reopened = 0
    due = RiskAcceptance.objects.filter(ended_at__isnull=True, expires_at__lte=now)
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            rule = RiskAcceptance.objects.select_for_update().filter(pk=pk).first()
            if rule is None or rule.ended_at is not None:
                continue
            rows = _end(rule, why="expired", actor=None)
            audit_record(
                actor=None,
                action="risk_acceptance.expired",
                target=rule,
                changes={"reopened": len(rows)},
            )
            reopened += len(rows)
    return reopened


@transaction.atomic
def risk_acceptance_delete(*, actor: Person, rule: RiskAcceptance) -> int:
    """Delete a rule; its findings go back to `open`. Returns how many. Audited."""
    from accounts.services import audit_record

    if not actor.has_perm(ACCEPT_PERMISSION):
        raise PermissionDenied("Deleting a risk acceptance needs the Admin or Manager role.")
    rows = _end(rule, why="deleted", actor=actor) if rule.ended_at is None else []
    audit_record(
        actor=actor,
        action="risk_acceptance.deleted",
        target=rule,
        changes={"reopened": len(rows), "reason": rule.reason[:200]},
    )
    rule.delete()
    return len(rows)


def _text(errors: dict[str, str], name: str, value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if "\0" in text or len(text) > limit:
        errors[name] = f"At most {limit} characters, without NUL."
        return ""
    return text


def _severity(errors: dict[str, str], name: str, value: Any) -> str:
    text = "" if value in (None, "") else str(value)
    if text and text not in Severity.values:
        errors[name] = f"One of {', '.join(Severity.values)}."
        return ""
    return text


def _list(errors: dict[str, str], name: str, value: Any, check: Callable[[str], bool]) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[name] = "A list of strings."
        return []
    bad = [v for v in value if not check(v)]
    if bad:
        errors[name] = f"Not valid: {str(bad[0])[:40]}."
    return sorted(set(value))


def _expiry(errors: dict[str, str], value: Any, now: datetime) -> datetime | None:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors["expires_at"] = "Required: an ISO 8601 time with a zone."
        return None
    if value <= now:
        errors["expires_at"] = "Must be in the future."
    elif value > now + timedelta(days=MAX_DAYS):
        errors["expires_at"] = f"At most {MAX_DAYS} days ahead."
    return value


def _visible(person: Person) -> set[str]:
    return set(account_list_for_user(user=person).values_list("account_id", flat=True))


def _approver(errors: dict[str, str], actor: Person, approved_by: Any, scope: set[str]):
    """The person who approves: `actor` unless another Admin or Manager is named, who must see
    every account the rule can reach."""
    if approved_by in (None, "") or approved_by == actor.get_username():
        return actor
    people = get_user_model().objects.filter(is_active=True)
    person = people.filter(**{get_user_model().USERNAME_FIELD: str(approved_by)[:150]}).first()
    if person is None or not person.has_perm(ACCEPT_PERMISSION):
        errors["approved_by"] = "An active Admin or Manager (a username)."
        return None
    if not scope <= _visible(person):
        errors["approved_by"] = "The approver must see every account the rule reaches."
        return None
    return person


@transaction.atomic
def risk_acceptance_create(
    *, actor: Person, data: Mapping[str, Any], now: datetime | None = None
) -> RiskAcceptance:
    """Store a rule from `data` (RiskAcceptance's fields: reason, expires_at, accounts, ou,
    sources, type_prefix, resource_id, resource_tag, min_severity, max_severity, finding (a
    Finding the actor sees), approved_by (a username)) and accept what it matches now.

    Raises PermissionDenied without the Admin or Manager role; ValidationError naming each bad
    field (an account the actor cannot see is refused, never silently dropped). Audited.
    """
    from accounts.services import audit_record

    if not actor.has_perm(ACCEPT_PERMISSION):
        raise PermissionDenied("Accepting a risk needs the Admin or Manager role.")
    now = now or timezone.now()
    errors: dict[str, str] = {}
    visible = _visible(actor)
    reason = _text(errors, "reason", data.get("reason"), REASON_MAX_LENGTH)
    if not reason and "reason" not in errors:
        errors["reason"] = "Required: why the risk is accepted."
    fields: dict[str, Any] = {
        "reason": reason,
        "expires_at": _expiry(errors, data.get("expires_at"), now),
        "accounts": _list(
            errors, "accounts", data.get("accounts"), lambda a: bool(_ACCOUNT_RE.fullmatch(a))
        ),
        "sources": _list(
            errors, "sources", data.get("sources"), lambda s: s in FindingSource.values
        ),
        "ou": _text(errors, "ou", data.get("ou"), 68),
        "type_prefix": _text(errors, "type_prefix", data.get("type_prefix"), 255),
        "resource_id": _text(errors, "resource_id", data.get("resource_id"), 1024),
        "resource_tag": _text(errors, "resource_tag", data.get("resource_tag"), 512),
        "min_severity": _severity(errors, "min_severity", data.get("min_severity")),
        "max_severity": _severity(errors, "max_severity", data.get("max_severity")),
    }
    if fields["ou"] and not OU_RE.fullmatch(fields["ou"]):
        errors["ou"] = "An OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)."
    if fields["resource_tag"] and "=" not in fields["resource_tag"]:
        errors["resource_tag"] = "key=value."
    unseen = [a for a in fields["accounts"] if a not in visible]
    if unseen and "accounts" not in errors:
        errors["accounts"] = f"Not an account you can see: {unseen[0]}."
    low, high = fields["min_severity"], fields["max_severity"]
    if low and high and SEVERITY_RANK[low] > SEVERITY_RANK[high]:
        errors["max_severity"] = "Not below min_severity."
    finding = _finding(errors, actor, data.get("finding"))
    scope = set(fields["accounts"] or visible)
    if finding is not None:
        scope = {finding.account.account_id}
    approver = _approver(errors, actor, data.get("approved_by"), scope)
    if errors:
        raise ValidationError(errors)
    rule = RiskAcceptance.objects.create(
        **fields,
        finding=finding,
        scope_accounts=sorted(scope),
        created_by=actor,
        created_by_name=actor.get_username(),
        approved_by=approver,
        approved_by_name=approver.get_username() if approver else "",
        created_at=now,
    )
    accepted = _accept(rule, Finding.objects.all(), finding_change_time())
    audit_record(
        actor=actor,
        action="risk_acceptance.created",
        target=rule,
        changes={
            "reason": reason[:200],
            "expires_at": rule.expires_at.isoformat(),
            "scope_accounts": rule.scope_accounts,
            "approved_by": rule.approved_by_name,
            "accepted": len(accepted),
        },
    )
    return rule


def _finding(errors: dict[str, str], actor: Person, value: Any) -> Finding | None:
    if value in (None, ""):
        return None
    from findings.selectors import finding_get_for_user

    try:
        pk = int(str(value))
    except ValueError:
        pk = -1
    finding = finding_get_for_user(user=actor, pk=pk) if 0 < pk < 2**63 else None
    if finding is None:
        errors["finding"] = "Not a finding you can see."
    return finding
