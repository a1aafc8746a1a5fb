"""Reads of the accounts app, always scoped to what the person asking may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BooleanField, Exists, Max, QuerySet, Value
from django.utils import timezone

from accounts.choices import Source
from accounts.collection import collection_targets
from accounts.delegated import administrator_for
from accounts.models import (
    AccessProfile,
    ApiToken,
    AuditEvent,
    AwsAccount,
    CollectionRun,
    SourceMembership,
    hash_token,
    ous_granted_over,
)
from accounts.schedule import stale_after_minutes
from accounts.source_registry import admin_capable_sources

User = AbstractBaseUser | AnonymousUser


def account_list_for_user(*, user: User) -> QuerySet[AwsAccount]:
    """The member accounts `user` may see (none without access: fails closed)."""
    return AwsAccount.objects.visible_to(user)


def account_get_for_user(*, user: User, account_id: str) -> AwsAccount | None:
    """One member account by its 12-digit id, or None if it does not exist or `user` may not see it."""
    return account_list_for_user(user=user).filter(account_id=account_id).first()


def account_ids_for_user(*, user: User) -> QuerySet[Any]:
    """The primary keys of the accounts `user` may see, as a subquery for other apps' selectors."""
    return account_list_for_user(user=user).values("pk")


def account_scope_for_user(*, user: User) -> list[int] | None:
    """The primary keys of the accounts `user` may see, in one query; None when that is every
    account (a superuser, or access to all accounts), [] when none (fails closed).

    Lists filter on this list (or not at all for None) rather than on a subquery: the planner
    then knows how many rows each account holds, and a person who sees everything pays nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    # One query: the profile's flag and accounts granted one by one, and (UNION) the accounts in
    # or under the OUs granted to it.
    direct = AccessProfile.objects.filter(user=user).values_list("all_accounts", "accounts")
    through_ous = AwsAccount.objects.filter(
        Exists(ous_granted_over(profile=AccessProfile.objects.filter(user=user).values("pk")[:1]))
    ).values_list(Value(False, output_field=BooleanField()), "pk")
    rows = list(direct.union(through_ous))
    if not rows:
        return []
    if any(all_accounts for all_accounts, _pk in rows):
        return None
    return sorted({pk for _all, pk in rows if pk is not None})


def scoped_to_user(queryset: QuerySet[Any], *, user: User, field: str = "account") -> QuerySet[Any]:
    """`queryset` narrowed to the accounts `user` may see through its foreign key `field`."""
    scope = account_scope_for_user(user=user)
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def token_get_by_raw(*, raw: str) -> ApiToken | None:
    """The usable token whose raw value is `raw`, or None (unknown, revoked or expired)."""
    if not raw:
        return None
    return ApiToken.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()


def token_list_for_user(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The tokens `user` may see: their own, or everyone's for those who manage tokens."""
    tokens = ApiToken.objects.select_related("user")
    if user.has_perm("accounts.manage_all_tokens"):
        return tokens.all()
    return tokens.filter(user=user)


def audit_list(*, user: AbstractBaseUser) -> QuerySet[AuditEvent]:
    """The audit log for those allowed to read it, nothing for others."""
    if not user.has_perm("accounts.view_audit_log"):
        return AuditEvent.objects.none()
    return AuditEvent.objects.all()


def collection_run_list_for_user(*, user: User) -> QuerySet[CollectionRun]:
    """Collection runs of the accounts `user` may see, newest first."""
    return scoped_to_user(CollectionRun.objects.all(), user=user).select_related("account")


def collection_health_for_user(*, user: User) -> QuerySet[CollectionRun]:
    """The latest run of every (account, region, source) `user` may see."""
    runs = collection_run_list_for_user(user=user)
    latest = (
        runs.order_by()  # no default ordering in the GROUP BY
        .values("account", "region", "source")
        .annotate(last=Max("id"))
        .values("last")
    )
    return runs.filter(id__in=latest).order_by("account__account_id", "region", "source")


@dataclass
class HealthRow:
    """One (account, region, source) on the collection health page."""

    account: AwsAccount
    region: str
    source: str
    run: CollectionRun | None
    stale: bool
    # Delegated administrator mode: "administrator" (this account reads the source for its
    # members), "covered" (read through the administrator: `run` is the administrator's, counts
    # and errors hidden unless the person sees it), "not_covered" (the administrator does not
    # cover it: `membership` says why), "" (no administrator for the source).
    coverage: str = ""
    membership: str = ""
    administrator: AwsAccount | None = None


def collection_health_rows(*, user: User, now: datetime | None = None) -> list[HealthRow]:
    """Every target of the accounts `user` sees with its latest run, and every member read
    through its delegated administrator with the administrator's; never-run or overdue targets
    are stale (not collected for twice their schedule). A member its administrator does not cover
    (not a member, or its service off) says "not covered", never clean."""
    now = now or timezone.now()
    latest = {(r.account_id, r.region, r.source): r for r in collection_health_for_user(user=user)}
    accounts = list(account_list_for_user(user=user).filter(enabled=True, retired_at__isnull=True))
    admins = _administrators()
    memberships = {
        (m.account_id, m.source, m.region): m
        for m in SourceMembership.objects.filter(account__in=accounts)
    }
    rows = []
    visible = {a.pk for a in accounts}
    for target in collection_targets(accounts=accounts, sources=Source.values):
        if target.account.pk not in visible:
            continue  # an administrator the person does not see, added for its members
        run = latest.pop((target.account.pk, target.region, target.source), None)
        row = HealthRow(
            target.account, target.region, target.source, run, _stale(run, target.source, now)
        )
        admin = admins.get(target.source)
        if target.via_admin or (admin is not None and admin.pk == target.account.pk):
            row.coverage = "administrator"
        elif admin is not None:
            membership = memberships.get((target.account.pk, target.source, target.region))
            row.coverage, row.administrator = "not_covered", admin
            row.membership = membership.status if membership else "not a member"
        rows.append(row)
    rows.extend(_covered_rows(accounts, admins, memberships, now))
    return sorted(rows, key=lambda r: (r.account.account_id, r.region, r.source))


def _stale(run: CollectionRun | None, source: str, now: datetime) -> bool:
    limit = now - timedelta(minutes=stale_after_minutes(source))
    return run is None or (run.finished_at or run.started_at) < limit


def _administrators() -> dict[str, AwsAccount]:
    found = {}
    for declaration in admin_capable_sources():
        admin = administrator_for(declaration.name)
        if admin is not None:
            found[declaration.name] = admin
    return found


def _covered_rows(
    accounts: list[AwsAccount],
    admins: dict[str, AwsAccount],
    memberships: dict[tuple[int, str, str], SourceMembership],
    now: datetime,
) -> list[HealthRow]:
    """Rows of the members read through their administrator, with its latest run there."""
    visible = {a.pk: a for a in accounts}
    latest_ids = (
        CollectionRun.objects.filter(account__in=[a.pk for a in admins.values()])
        .order_by()
        .values("account", "region", "source")
        .annotate(last=Max("id"))
        .values("last")
    )
    admin_runs = {
        (r.account_id, r.region, r.source): r
        for r in CollectionRun.objects.filter(id__in=latest_ids)
    }
    rows = []
    for (account_pk, source, region), membership in memberships.items():
        admin = admins.get(source)
        if not membership.covered or admin is None or membership.administrator_id != admin.pk:
            continue
        account = visible[account_pk]
        if source not in account.sources or region not in account.regions:
            continue
        run = admin_runs.get((admin.pk, region, source))
        row = HealthRow(account, region, source, run, _stale(run, source, now), "covered")
        row.membership = membership.status
        row.administrator = admin if admin.pk in visible else None
        rows.append(row)
    return rows
