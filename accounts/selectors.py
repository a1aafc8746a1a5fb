"""Reads of the accounts app, always scoped to what the person asking may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.models import Max, QuerySet
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
    OrganizationalUnit,
    SourceMembership,
    hash_token,
)
from accounts.schedule import stale_after_minutes
from accounts.source_registry import admin_capable_sources
from core.db import ModelColumns

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
    # Every list and page asks this once per request: SQL written once, not built by the ORM. One
    # query: the profile's flag and accounts granted one by one, and (UNION) the accounts in or
    # under the OUs granted to it.
    with connections[AccessProfile.objects.db].cursor() as cursor:
        cursor.execute(_scope_sql(cursor.db), [user.pk, user.pk])
        rows = cursor.fetchall()
    if not rows:
        return []
    if any(all_accounts for all_accounts, _pk in rows):
        return None
    return sorted({pk for _all, pk in rows if pk is not None})


def _scope_sql(connection: Any) -> str:
    return _by_vendor(_build_scope_sql, connection)


def _by_vendor(build: Any, connection: Any) -> str:
    """SQL text of ours, made once per database vendor (its quoting) and process."""
    key = (build, connection.vendor)
    text = _SQL.get(key)
    if text is None:
        text = _SQL[key] = build(connection)
    return text


_SQL: dict[tuple[Any, str], str] = {}


def _build_scope_sql(connection: Any) -> str:
    """(all_accounts, account pk or NULL) of a person's access profile, one row per account."""
    quote = connection.ops.quote_name
    profile = AccessProfile._meta
    through = AccessProfile.accounts.through._meta
    m2m = AccessProfile._meta.get_field("accounts")
    return (
        f"SELECT p.{quote(profile.get_field('all_accounts').column)}, "  # noqa: S608 - names of our models
        f"a.{quote(m2m.m2m_reverse_name())} FROM {quote(profile.db_table)} p "
        f"LEFT JOIN {quote(through.db_table)} a ON a.{quote(m2m.m2m_column_name())} = p.{quote(profile.pk.column)} "
        f"WHERE p.{quote(profile.get_field('user').column)} = %s "
        f"UNION {_build_scope_ous_sql(connection)}"
    )


def _build_scope_ous_sql(connection: Any) -> str:
    """(false, account pk) of every account in or under an OU granted to a person's profile
    (accounts.models.ous_granted_over: an OU's path is a prefix of the paths of those under it)."""
    quote = connection.ops.quote_name
    profile = AccessProfile._meta
    account = AwsAccount._meta
    ou = OrganizationalUnit._meta
    m2m = AccessProfile._meta.get_field("ous")
    through = m2m.remote_field.through._meta
    path = quote(ou.get_field("path").column)
    ou_pk = quote(ou.pk.column)
    return (
        f"SELECT FALSE, acc.{quote(account.pk.column)} FROM {quote(profile.db_table)} p "  # noqa: S608 - names of our models
        f"JOIN {quote(through.db_table)} g ON g.{quote(m2m.m2m_column_name())} = p.{quote(profile.pk.column)} "
        f"JOIN {quote(ou.db_table)} granted ON granted.{ou_pk} = g.{quote(m2m.m2m_reverse_name())} "
        f"JOIN {quote(ou.db_table)} o ON substr(o.{path}, 1, length(granted.{path})) = granted.{path} "
        f"JOIN {quote(account.db_table)} acc ON acc.{quote(account.get_field('ou').column)} = o.{ou_pk} "
        f"WHERE p.{quote(profile.get_field('user').column)} = %s"
    )


def scoped_to_user(queryset: QuerySet[Any], *, user: User, field: str = "account") -> QuerySet[Any]:
    """`queryset` narrowed to the accounts `user` may see through its foreign key `field`."""
    scope = account_scope_for_user(user=user)
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def token_get_by_raw(*, raw: str) -> ApiToken | None:
    """The usable token whose raw value is `raw`, or None (unknown, revoked or expired)."""
    if not raw:
        return None
    # Every API request asks this: SQL written once (ApiTokenQuerySet.usable's conditions), not
    # built by the ORM per request; the token comes back with its user, as select_related would.
    with connections[ApiToken.objects.db].cursor() as cursor:
        connection = cursor.db
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_token_sql(connection), [hash_token(raw), now])
        row = cursor.fetchone()
    if row is None:
        return None
    token = _TOKEN.instance(connection, row[: len(_TOKEN.fields)])
    token.user = _USER.instance(connection, row[len(_TOKEN.fields) :])
    return token


_TOKEN = ModelColumns(ApiToken, "t")
_USER = ModelColumns(get_user_model(), "u")


def _token_sql(connection: Any) -> str:
    return _by_vendor(_build_token_sql, connection)


def _build_token_sql(connection: Any) -> str:
    """The usable token of a key hash (neither revoked nor expired at the time given), with its
    user's columns."""
    quote = connection.ops.quote_name
    token, user = ApiToken._meta, get_user_model()._meta
    column = {
        name: quote(token.get_field(name).column)
        for name in ("key_hash", "revoked_at", "expires_at", "user")
    }
    return (
        f"SELECT {_TOKEN.select(connection)}, {_USER.select(connection)} "  # noqa: S608 - names of our models
        f"FROM {quote(token.db_table)} t INNER JOIN {quote(user.db_table)} u "
        f"ON u.{quote(user.pk.column)} = t.{column['user']} "
        f"WHERE t.{column['key_hash']} = %s AND t.{column['revoked_at']} IS NULL "
        f"AND (t.{column['expires_at']} IS NULL OR t.{column['expires_at']} > %s)"
    )


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
