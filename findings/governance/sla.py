"""SLAs: how long an open finding of each severity may stay open, and mean time to resolve.

The interface the API, the pages and the reports use:

- `sla_days()`: {severity: days} for critical, high, medium and low (an Admin's values over
  DEFAULT_SLA_DAYS; informational has none). `sla_days_set()` changes them, audited.
- `with_sla(findings)`: the queryset annotated with `sla_due` (first_seen + the severity's days,
  null for informational, a missing first_seen, or a finding not open) and `sla_breached`. Computed
  by the database at query time from the SlaPolicy rows (a correlated lookup into a 4-row table
  per returned row), so a changed SLA applies at once and no finding is ever rewritten.
  `with_sla_due(findings)` annotates `sla_due` alone, for readers that compare it with their own
  clock in Python (the API list's encoder: one CASE a row in the SQL, not two).
- `sla_breached_q(days=..., now=...)`: the Q of open findings past their due time, written as
  `severity = s AND first_seen < now - days` per severity so that the partial index
  finding_open_sla (open rows by severity, first_seen) answers it.
- `sla_breached_counts(findings, by=...)`: those findings counted by some keys, one index range per
  severity (a page's counts at a million findings).
- `sla_due_of(...)`: the same rule in Python, for one finding or row.
- `mttr_days(findings, by=...)`: mean time to resolve, in days, from our own history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import CompiledOnce
from findings.choices import OPEN_STATUSES, AwsState, FindingEventKind, FindingStatus, Severity
from findings.models import Finding, FindingEvent, SlaPolicy
from findings.models.governance import SLA_MAX_DAYS

# request.user: `User | AnonymousUser` to django-stubs; the services check has_perm themselves.
Person = Any

__all__ = [
    "DEFAULT_SLA_DAYS",
    "SLA_SEVERITIES",
    "mttr_days",
    "resolved_at_expression",
    "sla_breached_counts",
    "sla_breached_q",
    "sla_days",
    "sla_days_set",
    "sla_due_of",
    "with_sla",
    "with_sla_due",
]

# Issue 17's defaults (CONTRACT.md, "Added in the second round").
DEFAULT_SLA_DAYS: dict[str, int] = {
    Severity.CRITICAL: 7,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
}
SLA_SEVERITIES: tuple[str, ...] = tuple(DEFAULT_SLA_DAYS)
_DAY = timedelta(days=1)


def sla_days() -> dict[str, int]:
    """{severity: days} in force: the Admin's values over the defaults (one small query)."""
    days = dict(DEFAULT_SLA_DAYS)
    days.update(dict(SlaPolicy.objects.values_list("severity", "days")))
    return days


@transaction.atomic
def sla_days_set(*, actor: Person | None, days: Mapping[str, Any]) -> dict[str, int]:
    """Set the days of some severities; returns the days in force. Audited (`sla.changed`).

    Raises ValidationError naming the severity for an unknown severity or a value that is not a
    whole number of days from 1 to SLA_MAX_DAYS. Nothing is written when nothing changes.
    """
    from accounts.services import audit_record

    wanted = _validated(days)
    before = sla_days()
    changed = {s: n for s, n in wanted.items() if before[s] != n}
    for severity, n in changed.items():
        SlaPolicy.objects.update_or_create(
            severity=severity,
            defaults={"days": n, "updated_at": timezone.now(), "updated_by": _person(actor)},
        )
    if changed:
        policy = SlaPolicy.objects.filter(severity__in=changed).order_by("severity").first()
        audit_record(
            actor=actor,
            action="sla.changed",
            target=policy,  # type: ignore[arg-type]
            changes={s: {"from": before[s], "to": n} for s, n in changed.items()},
        )
    return sla_days()


def _person(actor: Person | None) -> Person | None:
    return actor if actor is not None and actor.pk else None


def _validated(days: Mapping[str, Any]) -> dict[str, int]:
    errors: dict[str, str] = {}
    wanted: dict[str, int] = {}
    for severity, value in days.items():
        if severity not in SLA_SEVERITIES:
            errors[str(severity)[:40]] = f"Not a severity with an SLA: {', '.join(SLA_SEVERITIES)}."
            continue
        try:
            n = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            n = None
        if n is None or not 1 <= n <= SLA_MAX_DAYS:
            errors[severity] = f"A whole number of days from 1 to {SLA_MAX_DAYS}."
            continue
        wanted[severity] = n
    if errors:
        raise ValidationError(errors)
    return wanted


def _is_open() -> Q:
    return Q(aws_state=AwsState.ACTIVE, status__in=OPEN_STATUSES)


class DaysAsDuration(Func):
    """A whole number of days as a duration: an interval on PostgreSQL, microseconds on SQLite
    (how Django stores durations there; it refuses integer * duration on SQLite)."""

    output_field = DurationField()
    template = "make_interval(days => %(expressions)s)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s * 86400000000)", **extra_context
        )


def _due_after() -> Any:
    """The finding's severity's days as a duration: the Admin's row, else the default."""
    policy = SlaPolicy.objects.filter(severity=OuterRef("severity")).values("days")[:1]
    default = Case(
        *(When(severity=s, then=Value(n)) for s, n in DEFAULT_SLA_DAYS.items()),
        default=Value(None),
        output_field=IntegerField(),
    )
    return DaysAsDuration(Coalesce(Subquery(policy), default, output_field=IntegerField()))


def sla_due_expression() -> Case:
    """`sla_due` of each row: first_seen + its severity's SLA, while it is open; else null."""
    return Case(
        When(
            _is_open() & Q(severity__in=SLA_SEVERITIES, first_seen__isnull=False),
            then=ExpressionWrapper(F("first_seen") + _due_after(), output_field=DateTimeField()),
        ),
        default=Value(None, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def with_sla_due(findings: QuerySet[Finding], *, built_once: bool = False) -> QuerySet[Finding]:
    """`findings` annotated with `sla_due` (a time or null): breached is `sla_due < now`, null
    never breached (what with_sla's `sla_breached` says), for a reader to tell in Python.
    `built_once`: for a query built once per process and cloned (its SQL compiled once too:
    core.db.CompiledOnce)."""
    due = sla_due_expression()
    return findings.annotate(sla_due=CompiledOnce(due) if built_once else due)


def with_sla(findings: QuerySet[Finding], *, now: datetime | None = None) -> QuerySet[Finding]:
    """`findings` annotated with `sla_due` (a time or null) and `sla_breached` (a boolean: due
    before `now`, default the application's clock, as sla_breached_q reads it)."""
    return with_sla_due(findings).annotate(
        sla_breached=Case(
            When(sla_due__lt=Value(now or timezone.now()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def sla_breached_q(*, days: Mapping[str, int] | None = None, now: datetime | None = None) -> Q:
    """Open findings past their SLA at `now` (default: now), one indexable term per severity."""
    late = Q(pk__in=[])
    for term in _late_terms(days=days, now=now).values():
        late |= term
    return _is_open() & late


def _late_terms(*, days: Mapping[str, int] | None, now: datetime | None) -> dict[str, Q]:
    """Per severity with an SLA, the findings of that severity first seen before its due bound:
    one range of the finding_open_sla index (severity, first_seen) each."""
    days = days if days is not None else sla_days()
    now = now or timezone.now()
    return {
        severity: Q(severity=severity, first_seen__lt=now - days[severity] * _DAY)
        for severity in SLA_SEVERITIES
    }


def sla_breached_counts(
    findings: QuerySet[Finding],
    *,
    by: tuple[str, ...],
    days: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The findings of `findings` that sla_breached_q selects, counted by `by` (fields of the
    findings, e.g. account__account_id): rows of those keys and `n`, in one query.

    The query is a UNION ALL of one count per severity, each an index range of finding_open_sla
    (severity, first_seen): the OR of sla_breached_q made PostgreSQL read the whole index, every
    open finding, where this reads only the late ones (1,000,000 findings: 180 ms, now 50 ms).
    """
    parts = [
        findings.filter(_is_open(), term)
        .order_by()
        .values(*by)
        .annotate(n=Count("account"))  # counted from the index alone (it covers account)
        for term in _late_terms(days=days, now=now).values()
    ]
    counts: Counter[tuple[Any, ...]] = Counter()
    for row in parts[0].union(*parts[1:], all=True):
        counts[tuple(row[key] for key in by)] += row["n"]
    return [{**dict(zip(by, key, strict=True)), "n": n} for key, n in counts.items()]


def sla_due_of(
    *,
    severity: str,
    first_seen: datetime | None,
    is_open: bool,
    days: Mapping[str, int] | None = None,
) -> datetime | None:
    """The due time of one finding (the rule of with_sla, in Python)."""
    if not is_open or first_seen is None or severity not in SLA_SEVERITIES:
        return None
    days = days if days is not None else sla_days()
    return first_seen + days[severity] * _DAY


# A finding is resolved when our status says so or AWS stopped calling it active (archived,
# closed, gone); these events record the moment (findings.services.upsert and .workflow).
_RESOLVING_EVENTS = Q(kind__in=[FindingEventKind.ARCHIVED, FindingEventKind.GONE]) | Q(
    kind=FindingEventKind.STATUS_CHANGED, changes__status__1=FindingStatus.RESOLVED
)
_CLOSED_STATES = (AwsState.ARCHIVED, AwsState.CLOSED, AwsState.GONE)


def resolved_q() -> Q:
    """Findings resolved now: status resolved, or AWS no longer says active (not an accepted
    risk, a suppression or a false positive: those are decisions, not fixes)."""
    decided = (FindingStatus.ACCEPTED, FindingStatus.SUPPRESSED, FindingStatus.FALSE_POSITIVE)
    return (Q(status=FindingStatus.RESOLVED) | Q(aws_state__in=_CLOSED_STATES)) & ~Q(
        status__in=decided
    )


def resolved_at_expression() -> Subquery:
    """When each finding was last resolved, from its history (null if never)."""
    events = (
        FindingEvent.objects.filter(_RESOLVING_EVENTS, finding=OuterRef("pk"))
        .order_by()
        .values("finding")
        .annotate(last=Max("at"))
        .values("last")
    )
    return Subquery(events, output_field=DateTimeField())


def mttr_days(
    findings: QuerySet[Finding],
    *,
    by: str = "severity",
    resolved_after: datetime | None = None,
    resolved_before: datetime | None = None,
) -> dict[str, float | None]:
    """Mean days from first_seen to resolution of the resolved findings in `findings`, per `by`
    (a field path such as "severity" or "account__account_id"), optionally of those resolved in
    [resolved_after, resolved_before). Severities without one are None (by="severity" lists all
    five). `findings` is already scoped to the person."""
    rows = (
        findings.filter(resolved_q(), first_seen__isnull=False)
        .annotate(resolved_at=resolved_at_expression())
        .filter(resolved_at__isnull=False)
    )
    if resolved_after is not None:
        rows = rows.filter(resolved_at__gte=resolved_after)
    if resolved_before is not None:
        rows = rows.filter(resolved_at__lt=resolved_before)
    took = ExpressionWrapper(F("resolved_at") - F("first_seen"), output_field=DurationField())
    means = rows.order_by().values(by).annotate(mean=Avg(took))
    answer: dict[str, float | None] = {s: None for s in Severity.values} if by == "severity" else {}
    for row in means:
        mean = row["mean"]
        answer[row[by]] = None if mean is None else round(_days(mean), 2)
    return answer


def _days(value: Any) -> float:
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0) / 86400
    return max(float(value), 0.0) / 86400e6  # SQLite answers microseconds
