"""Our workflow on findings: status, assignee, ticket reference and notes, each change in the history.

The pages (one finding, or many from the list) and the API's PATCH call these two functions. They
never touch what AWS says (`aws_state` and every field a collect writes), and AWS never touches
these: the API keeps the two apart (docs/api.md, Findings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction

from accounts.models import AwsAccount
from findings.choices import (
    OPEN_STATUSES,
    REOPENABLE_STATUSES,
    WORKFLOW_STATUSES,
    FindingEventKind,
    FindingStatus,
)
from findings.models import Finding, FindingEvent
from findings.services.clock import finding_change_time
from findings.signals import FindingChange, finding_changes_announce

__all__ = [
    "NOTE_MAX_LENGTH",
    "TICKET_REF_MAX_LENGTH",
    "WORKFLOW_PERMISSION",
    "finding_workflow_update",
    "finding_workflow_update_many",
]

WORKFLOW_PERMISSION = "findings.change_workflow"
TICKET_REF_MAX_LENGTH = 200  # the column's length; a key such as SEC-1234 or a ticket URL fits
NOTE_MAX_LENGTH = 4000
_no_nul = ProhibitNullCharactersValidator()
# Field -> the event a change of it records.
_EVENT_OF = {
    "status": FindingEventKind.STATUS_CHANGED,
    "assignee": FindingEventKind.ASSIGNED,
    "ticket_ref": FindingEventKind.TICKET_CHANGED,
}


@dataclass(frozen=True)
class _Change:
    """The validated values to set; a None field is left as it is."""

    status: str | None
    assignee: tuple[AbstractBaseUser | None] | None  # (person or None to unassign) or unchanged
    ticket_ref: str | None
    note: str

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.status is not None:
            values["status"] = self.status
        if self.assignee is not None:
            values["assignee"] = self.assignee[0]
        if self.ticket_ref is not None:
            values["ticket_ref"] = self.ticket_ref
        return values


def finding_workflow_update(
    *,
    finding: Finding,
    actor: AbstractBaseUser,
    status: str | None = None,
    assignee: AbstractBaseUser | str | None = None,
    ticket_ref: str | None = None,
    note: str | None = None,
) -> list[str]:
    """Change one finding's workflow; returns the names of what changed (`note` when one was added).

    None leaves a field as it is; `assignee=""` unassigns, a username or a person assigns (an
    active person who can see the finding's account); `ticket_ref=""` clears it. Raises
    ValidationError naming the field for a bad value, PermissionDenied when `actor` may not change
    workflows or see the finding. Writes nothing when nothing changes. `finding` is refreshed with
    the stored values.
    """
    changed = finding_workflow_update_many(
        findings=[finding],
        actor=actor,
        status=status,
        assignee=assignee,
        ticket_ref=ticket_ref,
        note=note,
    )
    fields = changed.get(finding.pk, [])
    if fields:
        finding.refresh_from_db(fields=["status", "assignee", "ticket_ref", "updated_at"])
    return fields


def finding_workflow_update_many(
    *,
    findings: Iterable[Finding],
    actor: AbstractBaseUser,
    status: str | None = None,
    assignee: AbstractBaseUser | str | None = None,
    ticket_ref: str | None = None,
    note: str | None = None,
) -> dict[int, list[str]]:
    """Give many findings the same workflow values, in one transaction and a fixed number of
    queries; returns, per finding id, the names of what changed (findings left as they were are
    absent).

    Same rules as finding_workflow_update; the assignee must see every account concerned.
    One FindingEvent per changed field and finding, with `actor` and [before, after].
    """
    if not actor.has_perm(WORKFLOW_PERMISSION):
        raise PermissionDenied("Changing a finding's workflow needs the Analyst or Admin role.")
    pks = sorted({f.pk for f in findings})
    if not pks:
        return {}
    change = _validate(status=status, assignee=assignee, ticket_ref=ticket_ref, note=note)
    with transaction.atomic():
        now = finding_change_time()  # first, before any finding row is locked
        rows = list(
            Finding.objects.select_for_update()
            .filter(pk__in=pks)
            .only("pk", "account", "status", "assignee", "ticket_ref")
            .order_by("pk")
        )
        _check_access(actor=actor, account_pks={r.account_id for r in rows}, field=None)
        if change.assignee is not None and change.assignee[0] is not None:
            _check_access(
                actor=change.assignee[0], account_pks={r.account_id for r in rows}, field="assignee"
            )
        events, changed = _events(rows, change, actor, _assignee_names(rows, change))
        if changed:
            Finding.objects.filter(pk__in=changed).update(**change.values(), updated_at=now)
            for event in events:
                event.at = now
            FindingEvent.objects.bulk_create(events)
            before = {r.pk: r.status for r in rows}
            finding_changes_announce({pk: _change_kind(before[pk], change) for pk in changed})
    return changed


def _change_kind(before: str, change: _Change) -> str:
    """resolved when a person resolves it, reopened when they take it from resolved or false
    positive back to open or acknowledged, updated otherwise."""
    if change.status is None or change.status == before:
        return FindingChange.UPDATED
    if change.status == FindingStatus.RESOLVED:
        return FindingChange.RESOLVED
    if before in REOPENABLE_STATUSES and change.status in OPEN_STATUSES:
        return FindingChange.REOPENED
    return FindingChange.UPDATED


def _validate(
    *,
    status: str | None,
    assignee: AbstractBaseUser | str | None,
    ticket_ref: str | None,
    note: str | None,
) -> _Change:
    errors: dict[str, str] = {}
    if status is not None and status not in WORKFLOW_STATUSES:
        errors["status"] = (
            f"Not a status a person sets: {str(status)[:40]}. One of {', '.join(WORKFLOW_STATUSES)}"
            " (`accepted` comes from a risk acceptance)."
        )
    person: tuple[AbstractBaseUser | None] | None = None
    if assignee is not None:
        try:
            person = (_person(assignee),)
        except ValidationError as exc:
            errors["assignee"] = exc.messages[0]
    if ticket_ref is not None:
        ticket_ref = ticket_ref.strip()
        if len(ticket_ref) > TICKET_REF_MAX_LENGTH or any(c in ticket_ref for c in "\0\r\n"):
            errors["ticket_ref"] = (
                f"A ticket reference is one line of at most {TICKET_REF_MAX_LENGTH} characters."
            )
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH or "\0" in note:
        errors["note"] = f"A note is at most {NOTE_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    return _Change(status=status, assignee=person, ticket_ref=ticket_ref, note=note)


def _person(assignee: AbstractBaseUser | str) -> AbstractBaseUser | None:
    """The person to assign: "" unassigns; a username or a person must be active."""
    if isinstance(assignee, str):
        if not assignee.strip():
            return None
        _no_nul(assignee)
        user_model = get_user_model()
        person = user_model.objects.filter(**{user_model.USERNAME_FIELD: assignee.strip()}).first()
        if person is None:
            raise ValidationError(f"No one is called {assignee.strip()[:40]}.")
    else:
        person = assignee
    if not person.is_active:
        raise ValidationError(f"{person.get_username()} can no longer log in.")
    return person


def _check_access(*, actor: AbstractBaseUser, account_pks: set[int], field: str | None) -> None:
    visible = set(
        AwsAccount.objects.visible_to(actor).filter(pk__in=account_pks).values_list("pk", flat=True)
    )
    if account_pks <= visible:
        return
    if field is None:
        raise PermissionDenied("No such finding.")
    raise ValidationError(
        {field: f"{actor.get_username()} cannot see the account of every finding concerned."}
    )


def _assignee_names(rows: list[Finding], change: _Change) -> dict[int, str]:
    """Usernames of the rows' current assignees, in one query (only when the assignee changes)."""
    pks = {r.assignee_id for r in rows if r.assignee_id}
    if change.assignee is None or not pks:
        return {}
    user_model = get_user_model()
    return dict(user_model.objects.filter(pk__in=pks).values_list("pk", user_model.USERNAME_FIELD))


def _events(
    rows: list[Finding], change: _Change, actor: AbstractBaseUser, names: dict[int, str]
) -> tuple[list[FindingEvent], dict[int, list[str]]]:
    """One event per changed field (and note) of each row, and the changed fields per row."""
    events: list[FindingEvent] = []
    changed: dict[int, list[str]] = {}
    name = actor.get_username()
    for row in rows:
        fields: list[str] = []
        for field, after in change.values().items():
            before = names.get(row.assignee_id) if field == "assignee" else getattr(row, field)
            after_value = after.get_username() if isinstance(after, AbstractBaseUser) else after
            after_value = after_value or ("" if field == "ticket_ref" else None)
            if before == after_value:
                continue
            fields.append(field)
            events.append(_event(row, _EVENT_OF[field], actor, name, field, before, after_value))
        if change.note:
            fields.append("note")
            events.append(
                _event(row, FindingEventKind.NOTE, actor, name, "note", None, change.note)
            )
        if fields:
            changed[row.pk] = fields
    return events, changed


def _event(
    row: Finding,
    kind: str,
    actor: AbstractBaseUser,
    actor_name: str,
    field: str,
    before: Any,
    after: Any,
) -> FindingEvent:
    return FindingEvent(
        finding_id=row.pk,
        kind=kind,
        actor=actor,
        actor_name=actor_name,
        changes={field: [before, after]},
    )
