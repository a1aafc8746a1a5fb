"""The demo's 30 days of history: what a month of triage looks like, so that the overview's trend,
SLAs, mean time to resolve and the manager's report show real shapes in `make demo`.

Seeded once after the demo's first collect (`seed_demo_history`, DJANGO_DEBUG only), from the
collected findings themselves: some open findings were resolved by a person at a time between
their first sighting and now (a history event at that time), findings AWS archived get their
archiving event at AWS's own update time, each past day's open counts are recomputed from those
times, and two risk acceptances are made (one expiring within the month).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from findings.choices import AwsState, FindingEventKind, FindingStatus
from findings.governance.acceptance import Person, risk_acceptance_create
from findings.models import Finding, FindingDailyCount, FindingEvent
from findings.services.clock import finding_change_time

__all__ = ["DEMO_ACTOR", "demo_history_seed"]

DEMO_ACTOR = "demo history"
RESOLVED_SHARE = 0.35


def demo_history_seed(*, actor: Person, days: int = 30, seed: int = 20240514) -> dict[str, int]:
    """Seed `days` of history (once: a second call changes nothing); returns what it wrote."""
    if FindingEvent.objects.filter(actor_name=DEMO_ACTOR).exists():
        return {"resolved": 0, "archived": 0, "daily_rows": 0, "rules": 0}
    rng = random.Random(seed)  # noqa: S311 - demo data, not a secret
    now = timezone.now()
    with transaction.atomic():
        resolved = _resolve_some(rng, now, days, actor)
        archived = _archive_events()
    closed = {**archived, **resolved}
    rows = _daily_counts(now, days, closed)
    rules = _rules(actor, now)
    return {
        "resolved": len(resolved),
        "archived": len(archived),
        "daily_rows": rows,
        "rules": rules,
    }


def _resolve_some(
    rng: random.Random, now: datetime, days: int, actor: Person
) -> dict[int, datetime]:
    """A share of the open findings resolved by `actor` at a time after their first sighting."""
    start = now - timedelta(days=days)
    candidates = Finding.objects.filter(
        aws_state=AwsState.ACTIVE,
        status=FindingStatus.OPEN,
        first_seen__lt=now - timedelta(days=1),
    ).order_by("pk")
    chosen: dict[int, datetime] = {}
    for pk, first_seen in candidates.values_list("pk", "first_seen"):
        if first_seen is None or rng.random() >= RESOLVED_SHARE:
            continue
        earliest = max(first_seen, start) + timedelta(hours=2)
        span = (now - timedelta(hours=1) - earliest).total_seconds()
        if span > 0:
            chosen[pk] = earliest + timedelta(seconds=rng.uniform(0, span))
    if not chosen:
        return {}
    Finding.objects.filter(pk__in=chosen).update(
        status=FindingStatus.RESOLVED, updated_at=finding_change_time()
    )
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.STATUS_CHANGED,
            at=at,
            actor=actor,
            actor_name=DEMO_ACTOR,
            changes={"status": [FindingStatus.OPEN.value, FindingStatus.RESOLVED.value]},
        )
        for pk, at in chosen.items()
    )
    return chosen


def _archive_events() -> dict[int, datetime]:
    """Findings AWS archived when first collected: their archiving at AWS's update time."""
    rows = Finding.objects.filter(aws_state=AwsState.ARCHIVED, aws_updated_at__isnull=False)
    rows = rows.exclude(events__kind=FindingEventKind.ARCHIVED)
    archived = {pk: at for pk, at in rows.values_list("pk", "aws_updated_at") if at is not None}
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            kind=FindingEventKind.ARCHIVED,
            at=at,
            actor_name=DEMO_ACTOR,
            changes={"aws_state": [AwsState.ACTIVE.value, AwsState.ARCHIVED.value]},
        )
        for pk, at in archived.items()
    )
    return archived


def _daily_counts(now: datetime, days: int, closed: dict[int, datetime]) -> int:
    """Each past day's open counts, from first sightings and the closing times above (findings
    neither active nor closed above count as closed throughout, as today)."""
    today = timezone.localdate(now)
    ends = [
        datetime.combine(today - timedelta(days=n), time.max, tzinfo=now.tzinfo)
        for n in range(1, days)
    ]
    counts: Counter[tuple[Any, ...]] = Counter()
    fields = ("pk", "account_id", "source", "severity", "category", "first_seen", "aws_state")
    for pk, account, source, severity, category, first_seen, state in Finding.objects.filter(
        first_seen__isnull=False
    ).values_list(*fields):
        if state != AwsState.ACTIVE and pk not in closed:
            continue
        for end in ends:
            if first_seen <= end and (pk not in closed or closed[pk] > end):
                counts[(end.date(), account, source, severity, category or "")] += 1
    FindingDailyCount.objects.filter(day__in=[end.date() for end in ends]).delete()
    FindingDailyCount.objects.bulk_create(
        FindingDailyCount(
            day=day, account_id=account, source=source, severity=severity, category=cat, count=n
        )
        for (day, account, source, severity, cat), n in counts.items()
    )
    return len(counts)


def _rules(actor: Person, now: datetime) -> int:
    """A rule over the low findings of one account (expiring within the month) and a rule for
    one medium finding (in two months)."""
    made = 0
    low = Finding.objects.open().filter(severity="low").order_by("pk").first()
    if low is not None:
        risk_acceptance_create(
            actor=actor,
            data={
                "reason": "Low findings of this sandbox account: reviewed monthly, no data held.",
                "expires_at": now + timedelta(days=12),
                "accounts": [low.account.account_id],
                "max_severity": "low",
            },
        )
        made += 1
    medium = Finding.objects.open().filter(severity="medium").order_by("pk").first()
    if medium is not None:
        risk_acceptance_create(
            actor=actor,
            data={
                "reason": "Compensating control: the port is closed by the network firewall.",
                "expires_at": now + timedelta(days=60),
                "finding": medium.pk,
            },
        )
        made += 1
    return made
