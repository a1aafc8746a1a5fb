"""Reads of principals and their tiers, always scoped to the accounts the person may see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When

from accounts.models import SyncCursor
from accounts.selectors import account_ids_for_user, scoped_to_user
from findings.choices import FindingSource
from findings.models import Finding
from principals.choices import IdentityType, UserTier
from principals.filtersets import PrincipalFilterSet
from principals.models import Principal, PrincipalEvent

User = AbstractBaseUser | AnonymousUser
TIER_ORDER = [UserTier.PLATINUM, UserTier.GOLD, UserTier.SILVER, UserTier.BRONZE]
FINDINGS_SHOWN = 20


def principal_list_for_user(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[Principal]:
    """The principals of the accounts `user` may see, highest tier first, then latest activity;
    narrowed by PrincipalFilterSet's parameters. Nothing without access. Raises ValidationError
    (per parameter) for a bad filter value."""
    rank = Case(
        *(When(tier=t, then=Value(i)) for i, t in enumerate(TIER_ORDER)),
        default=Value(len(TIER_ORDER)),
        output_field=IntegerField(),
    )
    principals = (
        scoped_to_user(Principal.objects.all(), user=user)
        .select_related("account")
        .annotate(tier_rank=rank)
        .order_by("tier_rank", "-last_seen", "id")
    )
    if filters is None:
        return principals
    filterset = PrincipalFilterSet(data=filters, queryset=principals)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def principal_get_for_user(*, user: User, pk: int) -> Principal | None:
    """One principal, or None if it does not exist or `user` may not see it."""
    return principal_list_for_user(user=user).filter(pk=pk).first()


def principal_counts(
    *, principals: QuerySet[Principal], rows: list[dict[str, Any]] | None = None
) -> dict[str, dict[str, int]]:
    """Counts by tier (`none` for AWS services) and by identity type, in one query (none when
    given principal_tier_by_type's rows)."""
    if rows is None:
        rows = principal_tier_by_type(principals=principals)
    tiers = {t.value: 0 for t in UserTier} | {"none": 0}
    types = {t.value: 0 for t in IdentityType}
    for row in rows:
        tiers[row["tier"] or "none"] += row["n"]
        types[row["identity_type"]] += row["n"]
    return {"tier": tiers, "identity_type": types}


def principal_tier_by_type(*, principals: QuerySet[Principal]) -> list[dict[str, Any]]:
    """Rows {identity_type, tier, n} for the chart (tier None for AWS services)."""
    rows = principals.order_by().values("identity_type", "tier").annotate(n=Count("id"))
    return [dict(row) for row in rows]


def principal_failed_events(*, principal: Principal) -> QuerySet[PrincipalEvent]:
    """The principal's latest failed calls kept as evidence, high-risk first."""
    return principal.events.filter(failed=True).order_by("-event_class", "-event_time")


def principal_recent_events(*, principal: Principal) -> QuerySet[PrincipalEvent]:
    """The principal's latest successful events kept, newest first."""
    return principal.events.filter(failed=False).order_by("-event_time", "-id")


def principal_findings_for_user(*, user: User, principal: Principal) -> QuerySet[Finding]:
    """Findings of the principal's account that name it: GuardDuty's access key details (user
    name and type), Macie's actor (by ARN, or the role behind a session)."""
    findings = Finding.objects.filter(
        account__in=account_ids_for_user(user=user), account=principal.account_id
    )
    return findings.filter(_names(principal)).order_by("-last_seen", "-id")[:FINDINGS_SHOWN]


_GD_TYPES: dict[str, str] = {
    IdentityType.ROOT: "Root",
    IdentityType.IAM_USER: "IAMUser",
    IdentityType.ASSUMED_ROLE: "AssumedRole",
    IdentityType.FEDERATED_USER: "FederatedUser",
}
_MACIE = "raw__policyDetails__actor__userIdentity__"


def _names(principal: Principal) -> Q:
    none = Q(pk__in=[])
    kind = principal.identity_type
    guardduty = none
    if kind in _GD_TYPES:
        keys = Q(raw__Resource__AccessKeyDetails__UserType=_GD_TYPES[kind])
        if kind != IdentityType.ROOT:
            keys &= Q(raw__Resource__AccessKeyDetails__UserName=principal.name)
        guardduty = Q(source=FindingSource.GUARDDUTY) & keys
    by_kind: dict[str, Q] = {
        IdentityType.ROOT: Q(**{f"{_MACIE}type": "Root"}),
        IdentityType.IAM_USER: Q(**{f"{_MACIE}iamUser__arn": principal.arn}),
        IdentityType.ASSUMED_ROLE: Q(
            **{f"{_MACIE}assumedRole__sessionContext__sessionIssuer__arn": principal.arn}
        ),
        IdentityType.FEDERATED_USER: Q(**{f"{_MACIE}federatedUser__arn": principal.arn}),
        IdentityType.AWS_SERVICE: Q(**{f"{_MACIE}awsService__invokedBy": principal.name}),
    }
    macie = by_kind.get(kind, none)
    return guardduty | (Q(source=FindingSource.MACIE) & macie)


def principals_as_of_for_user(*, user: User) -> Any:
    """When CloudTrail was last read for the accounts `user` sees (None: never)."""
    return (
        SyncCursor.objects.filter(account__in=account_ids_for_user(user=user), source="cloudtrail")
        .aggregate(at=Max("updated_at"))
        .get("at")
    )
