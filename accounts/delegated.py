"""Delegated administrators: the account that reads a source for every member of the organisation.

Discovery asks the management account, per source that can have one (its declaration's
`AdminMode`), which account Organizations registers as the source's delegated administrator
(`organizations:ListDelegatedAdministrators` with the service principal) and confirms it with the
service's own answer (GuardDuty and Macie `ListOrganizationAdminAccounts`, Inspector
`GetDelegatedAdminAccount`), asked in the management account's first region. What they agree on
is stored in each account's `administers`; an admin may also set it by hand when discovery cannot
ask. Collection then reads those sources through the administrator (accounts.collection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.aws import GLOBAL_REGION, AwsError, AwsGateway
from accounts.models import AwsAccount, SourceMembership
from accounts.services import account_save, audit_record
from accounts.source_registry import (
    admin_capable_sources,
    source_declaration,
    source_declarations,
)
from accounts.validators import ROLE_ARN_RE

logger = logging.getLogger(__name__)

# What a member no longer listed by its administrator records as its status.
NOT_A_MEMBER = "not a member"


def administrators_discover(*, management: AwsAccount, gateway: AwsGateway) -> dict[str, str]:
    """{source: its administrator's account id, or "" when it has none}, asked of the management
    account. A source whose calls fail is left out, so its stored administrator stays."""
    organizations = gateway.for_account(management, "organizations", GLOBAL_REGION)
    found: dict[str, str] = {}
    for declaration in admin_capable_sources():
        assert declaration.admin is not None
        try:
            registered = {
                entry["Id"]
                for page in organizations.pages(
                    "list_delegated_administrators",
                    ServicePrincipal=declaration.admin.service_principal,
                )
                for entry in page.get("DelegatedAdministrators", [])
            }
            client = gateway.for_account(
                management, declaration.probe.service, management.regions[0]
            )
            enabled = import_string(declaration.admin.find)(client) if registered else ""
        except AwsError as exc:
            logger.warning("administrator of %s not found: %s", declaration.name, exc)
            continue
        found[declaration.name] = enabled if enabled in registered else ""
    return found


def administrators_apply(
    *, found: dict[str, str], actor: AbstractBaseUser | None = None
) -> list[AwsAccount]:
    """Store what discovery found: each source's administrator gets it in `administers`, every
    other account loses it. Returns the accounts that changed (audited)."""
    changed = []
    with transaction.atomic():
        for account in AwsAccount.objects.select_for_update().order_by("pk"):
            wanted = [
                s
                for s in account.administers
                if found.get(s, account.account_id) == account.account_id
            ]
            wanted += [
                s for s, admin in found.items() if admin == account.account_id and s not in wanted
            ]
            if sorted(wanted) != sorted(account.administers):
                before, account.administers = account.administers, sorted(wanted)
                AwsAccount.objects.filter(pk=account.pk).update(administers=account.administers)
                audit_record(
                    actor=actor,
                    action="account.administers",
                    target=account,
                    changes={"administers": [before, account.administers]},
                )
                changed.append(account)
    return changed


def administrator_for(
    source: str, accounts: Iterable[AwsAccount] | None = None
) -> AwsAccount | None:
    """The enabled account that administers `source` and collects it, or None."""
    candidates = (
        AwsAccount.objects.filter(enabled=True, retired_at__isnull=True).order_by("account_id")
        if accounts is None
        else accounts
    )
    for account in candidates:
        if source in account.administers and source in account.sources:
            return account
    return None


def member_add_disabled(*, account_id: str, like: AwsAccount) -> AwsAccount | None:
    """Add a member an administrator names that Watchpost does not know yet, disabled until its
    check passes, with the administrator's role name, ExternalId and regions (as discovery adds
    accounts). None when AWS's id is not a 12-digit account id."""
    match = ROLE_ARN_RE.fullmatch(like.role_arn)
    if match is None:
        return None
    role_arn = (
        f"arn:{match.group('partition')}:iam::{account_id}:role/"
        f"{match.group('path')}{match.group('name')}"
    )
    account = AwsAccount(
        account_id=account_id,
        role_arn=role_arn,
        external_id=like.external_id,
        regions=list(like.regions),
        enabled=False,
    )
    try:
        return account_save(actor=None, account=account)
    except ValidationError:
        logger.warning("an administrator named a member that is no account id: %r", account_id)
        return None


def membership_record(
    *,
    administrator: AwsAccount,
    source: str,
    region: str,
    statuses: dict[str, str],
) -> list[AwsAccount]:
    """Store the members of `administrator` for `source` in `region` as its ListMembers said;
    an account recorded before and no longer listed becomes "not a member". Unknown members are
    added disabled. Returns the accounts one pass through the administrator covers: itself and
    every covered member (the scope of its findings, and of what it may mark gone)."""
    covered_statuses = source_declaration(source).admin.covered  # type: ignore[union-attr]
    known = {a.account_id: a for a in AwsAccount.objects.filter(account_id__in=list(statuses))}
    scope = [administrator]
    now = timezone.now()
    with transaction.atomic():
        for account_id, status in sorted(statuses.items()):
            account = known.get(account_id) or member_add_disabled(
                account_id=account_id, like=administrator
            )
            if account is None or account.pk == administrator.pk:
                continue
            covered = status in covered_statuses
            SourceMembership.objects.update_or_create(
                account=account,
                source=source,
                region=region,
                defaults={
                    "administrator": administrator,
                    "status": status[:64],
                    "covered": covered,
                    "checked_at": now,
                },
            )
            if covered:
                scope.append(account)
        SourceMembership.objects.filter(
            administrator=administrator, source=source, region=region
        ).exclude(account__account_id__in=list(statuses)).update(
            status=NOT_A_MEMBER, covered=False, checked_at=now
        )
    return scope


def covered_members(*, administrator: AwsAccount, source: str) -> set[tuple[int, str]]:
    """(account pk, region) of every member the administrator last reported covered."""
    rows = SourceMembership.objects.filter(
        administrator=administrator, source=source, covered=True
    ).values_list("account_id", "region")
    return set(rows)


@dataclass(frozen=True)
class SourceMode:
    """How one source of one account is read, for onboarding: `mode` is "administrator" (this
    account reads it for every member), "through_administrator" (covered in `regions`), "member"
    (read with this account's own role; `not_covered` names the regions its administrator does
    not cover, with AWS's status)."""

    source: str
    label: str
    mode: str
    administrator: str = ""
    regions: tuple[str, ...] = ()
    not_covered: tuple[str, ...] = ()


def account_source_modes(*, account: AwsAccount) -> list[SourceMode]:
    """Per enabled source of `account`, the mode collection uses and where it applies."""
    memberships = {
        (m.source, m.region): m for m in SourceMembership.objects.filter(account=account)
    }
    modes = []
    for declaration in source_declarations():
        if declaration.name not in account.sources:
            continue
        name, label = declaration.name, declaration.label
        admin = administrator_for(name) if declaration.admin_capable else None
        if admin is None:
            modes.append(SourceMode(name, label, "member"))
        elif admin.pk == account.pk:
            modes.append(SourceMode(name, label, "administrator", admin.account_id))
        else:
            found = [(r, memberships.get((name, r))) for r in account.regions]
            covered = tuple(r for r, m in found if m is not None and m.covered)
            missing = tuple(
                f"{r} ({m.status if m is not None else 'not a member'})"
                for r, m in found
                if m is None or not m.covered
            )
            mode = "through_administrator" if covered else "member"
            modes.append(SourceMode(name, label, mode, admin.account_id, covered, missing))
    return modes
