"""Reads of findings, always scoped to the accounts the person asking may see (fails closed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, QuerySet, Sum

from accounts.selectors import account_scope_for_user, scoped_to_user
from findings.choices import FindingSource, Severity
from findings.filtersets import UNCATEGORISED, FindingFilterSet
from findings.governance.sla import with_sla_due
from findings.models import Finding, FindingOpenCount

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


def finding_rows_for_user(
    *, user: User, columns: Sequence[str]
) -> tuple[QuerySet[Any], QuerySet[Finding]]:
    """(rows, findings) of the accounts `user` may see: `values(*columns)` rows, `sla_due`
    among the columns they may name (with_sla_due), and the same findings as a plain queryset
    (what a list counts), the scope asked once for both. The rows' query is built once per
    process and set of columns, then cloned and scoped per call: building a 50-column values()
    query with its SLA expression cost the API list about a millisecond of Python a request.
    Filters and orderings apply to both as to finding_list_for_user's queryset."""
    key = tuple(columns)
    base = _ROWS.get(key)
    if base is None:
        base = _ROWS[key] = with_sla_due(Finding.objects.all(), built_once=True).values(*columns)
    rows, findings = base.all(), Finding.objects.all()
    scope = account_scope_for_user(user=user)
    if scope is None:
        return rows, findings
    return rows.filter(account__in=scope), findings.filter(account__in=scope)


_ROWS: dict[tuple[str, ...], QuerySet[Any]] = {}  # never evaluated itself: only its clones


def finding_get_for_user(*, user: User, pk: int) -> Finding | None:
    """One finding by id, or None if it does not exist or `user` may not see it."""
    return finding_list_for_user(user=user).filter(pk=pk).first()


def open_counts(
    *,
    user: User,
    by: tuple[str, ...],
    sources: list[str] | None = None,
    accounts: list[int] | None = None,
) -> list[dict]:
    """Open findings of the accounts `user` may see (of those among `accounts`, primary keys, when
    given), grouped by `by` (any of account__account_id, account__name, source, severity,
    category, type): rows of those keys and `n`.

    On PostgreSQL read from the counts the database keeps (findings.models.FindingOpenCount),
    so the overview and summary cost the same at a million findings as at ten; elsewhere counted
    live. `category` is None for uncategorised findings, as on the findings themselves.
    """
    if connection.vendor != "postgresql":
        live = finding_list_for_user(user=user).open().order_by()
        if sources:
            live = live.filter(source__in=sources)
        if accounts is not None:
            live = live.filter(account__in=accounts)
        return list(live.values(*by).annotate(n=Count("id")))
    kept = scoped_to_user(FindingOpenCount.objects.all(), user=user)
    if sources:
        kept = kept.filter(source__in=sources)
    if accounts is not None:
        kept = kept.filter(account__in=accounts)
    rows = kept.order_by().values(*by).annotate(n=Sum("n")).filter(n__gt=0)
    return [
        {**row, "category": row["category"] or None} if "category" in row else row for row in rows
    ]


def finding_summary_from_counts(*, user: User) -> dict[str, Any]:
    """finding_summary of every finding `user` may see (no filter), from the kept counts."""
    return _summary(
        open_counts(user=user, by=("severity", "source", "account__account_id", "category"))
    )


def finding_summary(*, findings: QuerySet[Finding]) -> dict[str, Any]:
    """Open counts of `findings` (already scoped and filtered) by severity, source, account and
    category, in one query; the same findings a list with `open=true` shows."""
    rows = (
        findings.open()
        .order_by()
        .values("severity", "source", "account__account_id", "category")
        .annotate(n=Count("id"))
    )
    return _summary(rows)


def _summary(rows: Any) -> dict[str, Any]:
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
    """finding_summary over what `user` may see, with the list's filters (none: from the kept
    counts)."""
    if not any(name in (filters or {}) for name in FindingFilterSet.base_filters):
        return finding_summary_from_counts(user=user)
    return finding_summary(findings=finding_list_for_user(user=user, filters=filters))
