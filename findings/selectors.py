"""Reads of findings, always scoped to the accounts the person asking may see (fails closed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from accounts.selectors import scoped_to_user
from findings.choices import FindingSource, Severity
from findings.filtersets import UNCATEGORISED, FindingFilterSet
from findings.models import Finding

User = AbstractBaseUser | AnonymousUser


def finding_list_for_user(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[Finding]:
    """The findings of the accounts `user` may see, narrowed by `filters` (FindingFilterSet's
    parameters). Nothing for a person without access. Raises ValidationError (per parameter) for a
    bad filter value."""
    findings = scoped_to_user(Finding.objects.all(), user=user).select_related(
        "account", "assignee", "vulnerability"
    )
    if filters is None:
        return findings
    filterset = FindingFilterSet(data=filters, queryset=findings)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def finding_get_for_user(*, user: User, pk: int) -> Finding | None:
    """One finding by id, or None if it does not exist or `user` may not see it."""
    return finding_list_for_user(user=user).filter(pk=pk).first()


def finding_summary(*, findings: QuerySet[Finding]) -> dict[str, Any]:
    """Open counts of `findings` (already scoped and filtered) by severity, source, account and
    category, in one query; the same findings a list with `open=true` shows."""
    rows = (
        findings.open()
        .order_by()
        .values("severity", "source", "account__account_id", "category")
        .annotate(n=Count("id"))
    )
    by: dict[str, Counter[str]] = {k: Counter() for k in ("sev", "src", "acct", "cat")}
    total = 0
    for row in rows:
        total += row["n"]
        by["sev"][row["severity"]] += row["n"]
        by["src"][row["source"]] += row["n"]
        by["acct"][row["account__account_id"]] += row["n"]
        by["cat"][row["category"] or UNCATEGORISED] += row["n"]
    return {
        "open": total,
        "severity": {s: by["sev"][s] for s in Severity.values},
        "source": {s: by["src"][s] for s in FindingSource.values},
        "account_id": dict(sorted(by["acct"].items())),
        "category": dict(sorted(by["cat"].items())),
    }


def finding_summary_for_user(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """finding_summary over what `user` may see, with the list's filters."""
    return finding_summary(findings=finding_list_for_user(user=user, filters=filters))
