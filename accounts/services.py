"""Writes of the accounts app: member accounts, people's access, API tokens, and their audit trail.

Every write that changes who can see or do what is recorded in the audit log, in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.choices import Role
from accounts.models import (
    TOKEN_PREFIX,
    AccessProfile,
    ApiToken,
    AuditEvent,
    AwsAccount,
    OrganizationalUnit,
    hash_token,
)

ACCOUNT_AUDITED_FIELDS = (
    "name",
    "role_arn",
    "external_id",
    "regions",
    "sources",
    "enabled",
    "owner",
    "tags",
    "is_payer",
    "retired_at",
)


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: Model,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log; `actor` None means the system (a command or a task)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None else "system",
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        changes=changes or {},
    )


def _snapshot(account: AwsAccount) -> dict[str, Any]:
    return {field: getattr(account, field) for field in ACCOUNT_AUDITED_FIELDS}


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two snapshots, as the audit log keeps it: {key: {"from", "to"}}."""
    return {
        key: {"from": _jsonable(before.get(key)), "to": _jsonable(value)}
        for key, value in after.items()
        if before.get(key) != value
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def account_save(*, actor: AbstractBaseUser | None, account: AwsAccount) -> AwsAccount:
    """Validate and save a new or edited member account, and audit what changed.

    Raises django.core.exceptions.ValidationError (a message per field) and writes nothing if any
    value is wrong.
    """
    before = {}
    if account.pk:
        before = _snapshot(AwsAccount.objects.select_for_update().get(pk=account.pk))
    account.full_clean()
    account.save()
    changes = audit_changes(before, _snapshot(account))
    if not before:
        audit_record(actor=actor, action="account.created", target=account, changes=changes)
    elif changes:
        audit_record(actor=actor, action="account.updated", target=account, changes=changes)
    return account


@transaction.atomic
def account_upsert(
    *,
    actor: AbstractBaseUser | None,
    account_id: str,
    role_arn: str,
    external_id: str | None = None,
    name: str | None = None,
    regions: list[str] | None = None,
) -> tuple[AwsAccount, bool]:
    """Create or update (never duplicate) a member account, enabled with every source on.

    Returns the account and whether it was created. Values not given keep what the account had (a new
    account gets a generated ExternalId and the default regions). Raises ValidationError, writing nothing,
    on a malformed id, ARN, region or ExternalId.
    """
    account = AwsAccount.objects.filter(account_id=account_id).first()
    created = account is None
    if account is None:
        account = AwsAccount(account_id=account_id)
    account.role_arn = role_arn
    account.enabled = True
    if created:
        account.sources = AwsAccount._meta.get_field("sources").get_default()
    if external_id is not None:
        account.external_id = external_id
    if name is not None:
        account.name = name
    if regions is not None:
        account.regions = regions
    return account_save(actor=actor, account=account), created


class PayerConflict(ValidationError):
    """Another account is the payer and the person cannot see it, so cannot unmark it."""


@transaction.atomic
def account_set_payer(
    *, actor: AbstractBaseUser | None, account: AwsAccount, is_payer: bool
) -> AwsAccount:
    """Mark `account` as the organisation's payer (the management account, the one Cost Explorer is
    read from), unmarking any other, or unmark it; every change audited.

    Watchpost reads one organisation, as discovery does: one payer at a time. Raises PayerConflict,
    changing nothing, when `actor` (a person) would unmark a payer they cannot see.
    """
    others = list(
        AwsAccount.objects.select_for_update().filter(is_payer=True).exclude(pk=account.pk)
    )
    if is_payer and actor is not None and others:
        visible = set(AwsAccount.objects.visible_to(actor).values_list("pk", flat=True))
        if any(other.pk not in visible for other in others):
            raise PayerConflict(
                {
                    "is_payer": [
                        "Another account is the payer; only an admin who sees it can move it."
                    ]
                }
            )
    if is_payer:
        for other in others:
            other.is_payer = False
            account_save(actor=actor, account=other)
    if account.is_payer != is_payer or not account.pk:
        account.is_payer = is_payer
        account_save(actor=actor, account=account)
    return account


def _new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def token_create(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    name: str,
    can_write: bool = False,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the token and its raw value, which is never stored."""
    if expires_in_days is not None and expires_in_days < 1:
        raise ValueError("A token's expiry is at least 1 day.")
    raw = _new_raw_token()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:10],
        key_hash=hash_token(raw),
        can_write=can_write,
        expires_at=(timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None),
    )
    audit_record(
        actor=actor,
        action="token.created",
        target=token,
        changes={
            "user": user.get_username(),
            "can_write": can_write,
            "expires_at": _jsonable(token.expires_at),
        },
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: AbstractBaseUser | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="token.revoked", target=token)
    return token


def token_touch(*, token: ApiToken) -> None:
    """Note that a token was used, at most once a minute (the API must not write on every read)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class AccessRefused(PermissionDenied):
    """`actor` may not change this person's access; the message says why."""


def _scope(user: AbstractBaseUser) -> set[int] | None:
    """The pks of the accounts `user` sees; None for every account."""
    from accounts.selectors import account_scope_for_user

    scope = account_scope_for_user(user=user)
    return None if scope is None else set(scope)


def person_access_check(*, actor: AbstractBaseUser | None, user: AbstractBaseUser) -> None:
    """Raise AccessRefused unless `actor` may change `user`'s role, accounts or login.

    Nobody changes their own access (a scoped Admin could otherwise widen it), and a person
    changes only people who see no more than they do (else they could demote or lock out whoever
    oversees them). `actor` None is the system (a command, a migration), which may.
    """
    if actor is None:
        return
    if actor.pk == user.pk:
        raise AccessRefused("Nobody changes their own access: ask another admin.")
    if getattr(user, "is_superuser", False) and not getattr(actor, "is_superuser", False):
        raise AccessRefused("Only a superuser changes a superuser's access.")
    mine = _scope(actor)
    if mine is None:
        return
    theirs = _scope(user)
    if theirs is None or not theirs <= mine:
        raise AccessRefused(
            f"{user.get_username()} sees accounts you do not see: only someone who sees them "
            "all can change their access."
        )


@transaction.atomic
def person_set_access(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    role: str | None,
    all_accounts: bool,
    accounts: Iterable[AwsAccount],
    ous: Iterable[OrganizationalUnit] | None = None,
) -> AccessProfile:
    """Give a person one role (or none) and the member accounts they may see (one by one, or
    every account in or under `ous`; None leaves the OUs granted as they are), and audit it.

    `actor` grants only what they see themselves (every account or any OU only if they see every
    account: an OU grant follows the tree as it changes); raises AccessRefused otherwise, or when
    person_access_check refuses, and changes nothing.
    """
    if role is not None and role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; known: {', '.join(Role.values)}.")
    accounts = list(accounts)
    person_access_check(actor=actor, user=user)
    if actor is not None:
        mine = _scope(actor)
        if mine is not None:
            if all_accounts:
                raise AccessRefused("Only someone who sees every account can grant every account.")
            if ous is not None and list(ous):
                raise AccessRefused(
                    "Only someone who sees every account can grant organisational units."
                )
            outside = sorted(a.account_id for a in accounts if a.pk not in mine)
            if outside:
                raise AccessRefused(
                    f"You can grant only accounts you see yourself (not {', '.join(outside)})."
                )
    profile, _ = AccessProfile.objects.get_or_create(user=user)
    before = {
        "role": sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True)),
        "all_accounts": profile.all_accounts,
        "accounts": sorted(profile.accounts.values_list("account_id", flat=True)),
        "ous": sorted(profile.ous.values_list("ou_id", flat=True)),
    }
    user.groups.remove(*Group.objects.filter(name__in=Role.values))
    if role is not None:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    profile.all_accounts = all_accounts
    profile.save(update_fields=["all_accounts"])
    profile.accounts.set(list(accounts))
    if ous is not None:
        profile.ous.set(list(ous))
    after = {
        "role": [role] if role else [],
        "all_accounts": all_accounts,
        "accounts": sorted(profile.accounts.values_list("account_id", flat=True)),
        "ous": sorted(profile.ous.values_list("ou_id", flat=True)),
    }
    changes = audit_changes(before, after)
    if changes:
        audit_record(actor=actor, action="person.access_changed", target=user, changes=changes)
    return profile


@transaction.atomic
def person_set_active(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, active: bool
) -> None:
    """Let a person log in, or stop them (their tokens stop working too), and audit it.
    Raises AccessRefused when person_access_check refuses `actor`."""
    if user.is_active != active:
        person_access_check(actor=actor, user=user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        action = "person.activated" if active else "person.deactivated"
        audit_record(actor=actor, action=action, target=user)
