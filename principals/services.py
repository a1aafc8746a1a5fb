"""The CloudTrail syncer and the tier recompute: principals, daily activity, evidence, tiers.

A pass asks LookupEvents for the events since the cursor (less an overlap, for events CloudTrail
makes visible late), never further back than the 60-day window, skipping the events of the overlap
already counted (their ids are kept in the cursor's state). It aggregates the events as they stream
by (memory grows with principals and days, not events) and writes once,
in one transaction, after the last page: a pass that fails half-way writes nothing, and the spine
keeps the cursor where it was. Then the account's tiers are recomputed (principals.tiers): promotion
is immediate; a principal drops only when the window holds no qualifying event any more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.collection import SyncContext, SyncResult
from accounts.models import AwsAccount
from principals.choices import EventClass, TierRule
from principals.collectors import cloudtrail as collector
from principals.collectors.cloudtrail import TrailEvent
from principals.models import Principal, PrincipalActivity, PrincipalEvent
from principals.tiers import (
    EVIDENCE_PER_CLASS,
    READ_VOLUME_THRESHOLD,
    WINDOW,
    PrincipalKey,
    event_class,
    principal_key,
    tier_decide,
    window_start,
)

__all__ = ["OVERLAP", "cloudtrail_sync", "principal_tiers_recompute", "trail_events_store"]

# CloudTrail delivers most events to the event history within 5 minutes, some later: ask again.
OVERLAP = timedelta(minutes=15)
SEEN_KEY = "overlap_event_ids"
SESSIONS_KEPT = 20
CLASSES = [c.value for c in EventClass]


def now() -> datetime:
    """The current time (tests move it to make the window roll)."""
    return timezone.now()


@dataclass
class _Seen:
    key: PrincipalKey
    first: datetime
    last: datetime
    sessions: dict[str, datetime] = field(default_factory=dict)


@dataclass
class TrailBatch:
    """One pass's events, aggregated: principals, daily counts, the latest events per class."""

    principals: dict[str, _Seen] = field(default_factory=dict)
    counts: dict[tuple[str, str, date], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    evidence: dict[tuple[str, str, bool], list[tuple[TrailEvent, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    skipped: int = 0

    def add(self, event: TrailEvent, *, region: str) -> None:
        """Count one event (events arrive newest first, so the first few per class are kept)."""
        key = principal_key(event.identity) if event.identity else None
        if key is None:
            self.skipped += 1
            return
        seen = self.principals.get(key.identity)
        if seen is None:
            seen = self.principals[key.identity] = _Seen(key, event.event_time, event.event_time)
        seen.first, seen.last = min(seen.first, event.event_time), max(seen.last, event.event_time)
        if key.session_name:
            at = seen.sessions.get(key.session_name)
            seen.sessions[key.session_name] = max(at, event.event_time) if at else event.event_time
        cls = event_class(
            event_source=event.event_source, event_name=event.event_name, read_only=event.read_only
        )
        column = f"failed_{cls}" if event.failed else str(cls)
        self.counts[(key.identity, region, event.event_time.date())][column] += 1
        kept = self.evidence[(key.identity, str(cls), event.failed)]
        if len(kept) < EVIDENCE_PER_CLASS:
            kept.append((event, key.session_name))


def cloudtrail_sync(ctx: SyncContext) -> SyncResult:
    """Collect one account and region's CloudTrail events and recompute the account's tiers.

    Raises accounts.aws exceptions (the spine records them; nothing is written then).
    """
    current = now()
    oldest = window_start(current)
    since = oldest if ctx.cursor is None else max(oldest, ctx.cursor - OVERLAP)
    counted = set(ctx.state.get(SEEN_KEY, {})) if ctx.cursor is not None else set()
    batch = TrailBatch()
    newest: datetime | None = None
    recent: dict[str, datetime] = {}  # the ids within OVERLAP of the newest event: the next
    # pass's overlap. Only those are kept (events are aggregated as they stream by), so a pass
    # over a million events holds the aggregates and a few minutes of ids, never the million.
    for event in collector.events_since(ctx.client("cloudtrail"), start=since):
        if event.event_time < oldest:
            continue  # an event older than the window changes nothing
        if newest is None or event.event_time > newest:
            newest = event.event_time  # newest first: this happens on the first event only
            recent = {i: t for i, t in recent.items() if t >= newest - OVERLAP}
        if event.event_time >= newest - OVERLAP:
            recent[event.event_id] = event.event_time
        if event.event_id not in counted:
            batch.add(event, region=ctx.region)
    with transaction.atomic():
        # One writer per account at a time (PostgreSQL): two regions' passes never interleave.
        AwsAccount.objects.select_for_update().filter(pk=ctx.account.pk).first()
        new, updated = trail_events_store(
            account=ctx.account, region=ctx.region, batch=batch, replace=ctx.cursor is None
        )
        total = principal_tiers_recompute(account=ctx.account, now=current)
    cursor = max([t for t in (newest, ctx.cursor) if t is not None], default=None)
    edge = (cursor or current) - OVERLAP
    state = {SEEN_KEY: {i: t.isoformat() for i, t in recent.items() if t >= edge}}
    return SyncResult(
        new=new, updated=updated, unchanged=total - new - updated, cursor=cursor, state=state
    )


def trail_events_store(
    *, account: AwsAccount, region: str, batch: TrailBatch, replace: bool = False
) -> tuple[int, int]:
    """Write a pass's principals, daily counts and evidence; returns (new, updated) principals.

    `replace` (a pass without a cursor: the whole window again) first drops the region's counts,
    so that a full pass never counts an event twice.
    """
    principals, new = _principals_upsert(account, batch)
    if replace:
        PrincipalActivity.objects.filter(principal__account=account, region=region).delete()
    _activity_add(principals, batch)
    _evidence_add(principals, batch)
    return new, len(principals) - new


def _principals_upsert(account: AwsAccount, batch: TrailBatch) -> tuple[dict[str, Principal], int]:
    """The batch's principals, created when new and their last activity merged; (them, new)."""
    if not batch.principals:
        return {}, 0
    keys = list(batch.principals)
    known = set(
        Principal.objects.filter(account=account, identity__in=keys).values_list(
            "identity", flat=True
        )
    )
    Principal.objects.bulk_create(
        [
            Principal(account=account, identity=s.key.identity, identity_type=s.key.identity_type)
            for identity, s in batch.principals.items()
            if identity not in known
        ],
        ignore_conflicts=True,  # another region's pass may have created it meanwhile
    )
    found = {p.identity: p for p in Principal.objects.filter(account=account, identity__in=keys)}
    stamp = now()
    for identity, seen in batch.principals.items():
        principal = found[identity]
        sessions = {s["name"]: s["at"] for s in principal.sessions if isinstance(s, dict)}
        for name, at in seen.sessions.items():
            sessions[name] = max(sessions.get(name, ""), at.isoformat())
        ordered = sorted(sessions.items(), key=lambda kv: kv[1], reverse=True)
        principal.sessions = [{"name": n, "at": at} for n, at in ordered[:SESSIONS_KEPT]]
        principal.last_seen = max(filter(None, [principal.last_seen, seen.last]))
        principal.first_seen = min(filter(None, [principal.first_seen, seen.first]))
        principal.arn, principal.name = seen.key.arn, seen.key.name
        principal.principal_id = seen.key.principal_id or principal.principal_id
        principal.updated_at = stamp
    Principal.objects.bulk_update(
        found.values(),
        ["sessions", "last_seen", "first_seen", "arn", "name", "principal_id", "updated_at"],
    )
    return found, len(set(keys) - known)


def _activity_add(principals: dict[str, Principal], batch: TrailBatch) -> None:
    if not batch.counts:
        return
    ids = {identity: p.pk for identity, p in principals.items()}
    days = {day for _, _, day in batch.counts}
    existing = {
        (row.principal_id, row.region, row.day): row
        for row in PrincipalActivity.objects.filter(principal_id__in=ids.values(), day__in=days)
    }
    columns = [*CLASSES, *(f"failed_{c}" for c in CLASSES)]
    changed, created = [], []
    for (identity, region, day), counts in batch.counts.items():
        row = existing.get((ids[identity], region, day))
        if row is None:
            created.append(PrincipalActivity(principal_id=ids[identity], region=region, day=day))
            row = created[-1]
        else:
            changed.append(row)
        for column, n in counts.items():
            setattr(row, column, getattr(row, column) + n)
    PrincipalActivity.objects.bulk_create(created)
    PrincipalActivity.objects.bulk_update(changed, columns)


def _evidence_add(principals: dict[str, Principal], batch: TrailBatch) -> None:
    rows = [
        PrincipalEvent(
            principal=principals[identity],
            event_id=event.event_id,
            event_time=event.event_time,
            event_name=event.event_name[:128],
            event_source=event.event_source[:128],
            region=event.region,
            event_class=cls,
            failed=failed,
            error_code=event.error_code[:128],
            error_message=event.error_message,
            session_name=session[:128],
            source_ip=event.source_ip,
            user_agent=event.user_agent,
        )
        for (identity, cls, failed), events in batch.evidence.items()
        for event, session in events
    ]
    PrincipalEvent.objects.bulk_create(rows, ignore_conflicts=True)
    _evidence_prune(principals.values())


def _evidence_prune(principals: Iterable[Principal]) -> None:
    """Keep the latest few events per principal, class and outcome."""
    rows = PrincipalEvent.objects.filter(principal__in=list(principals)).values_list(
        "id", "principal_id", "event_class", "failed"
    )
    kept: Counter[tuple[int, str, bool]] = Counter()
    extra: list[int] = []
    for pk, principal, cls, failed in rows:  # newest first (the model's ordering)
        kept[(principal, cls, failed)] += 1
        if kept[(principal, cls, failed)] > EVIDENCE_PER_CLASS:
            extra.append(pk)
    if extra:
        PrincipalEvent.objects.filter(pk__in=extra).delete()


def principal_tiers_recompute(*, account: AwsAccount, now: datetime) -> int:
    """Recompute the tier and evidence of every principal of `account` over the window ending at
    `now`; drops what fell out of the window; writes only the principals that changed. Returns how
    many principals the account has."""
    oldest = window_start(now)
    PrincipalEvent.objects.filter(principal__account=account, event_time__lt=oldest).delete()
    PrincipalActivity.objects.filter(principal__account=account, day__lt=oldest.date()).delete()
    principals = list(Principal.objects.filter(account=account))
    events: dict[int, list[PrincipalEvent]] = defaultdict(list)
    for event in PrincipalEvent.objects.filter(principal__account=account):
        events[event.principal_id].append(event)
    totals = _window_totals(account, oldest)
    changed = []
    for principal in principals:
        counts = totals.get(principal.pk, {})
        mine = events.get(principal.pk, [])
        latest = _latest_success(mine)
        reads = counts.get(EventClass.READ, 0) + counts.get(EventClass.SENSITIVE_READ, 0)
        decision = tier_decide(
            identity_type=principal.identity_type,
            latest_success=latest,
            reads_in_window=reads,
            window_start=oldest,
        )
        evidence = _evidence(decision.rule, mine, counts)
        if (principal.tier, principal.tier_rule, principal.evidence) == (
            decision.tier,
            decision.rule,
            evidence,
        ):
            continue
        if principal.tier != decision.tier:
            principal.tier_since = now
        principal.tier, principal.tier_rule, principal.evidence = (
            decision.tier,
            decision.rule,
            evidence,
        )
        principal.updated_at = now
        changed.append(principal)
    Principal.objects.bulk_update(
        changed, ["tier", "tier_rule", "tier_since", "evidence", "updated_at"]
    )
    return len(principals)


def _window_totals(account: AwsAccount, oldest: datetime) -> dict[int, dict[str, int]]:
    """principal pk -> column -> events counted in the window (by UTC day)."""
    columns = [*CLASSES, *(f"failed_{c}" for c in CLASSES)]
    rows = (
        PrincipalActivity.objects.filter(principal__account=account, day__gte=oldest.date())
        .values("principal_id")
        .annotate(**{f"n_{c}": Sum(c) for c in columns})
    )
    return {
        r["principal_id"]: {c: int(r[f"n_{c}"] or 0) for c in columns}  # type: ignore[literal-required]
        for r in rows
    }


def _latest_success(events: list[PrincipalEvent]) -> dict[str, datetime | None]:
    latest: dict[str, datetime | None] = {}
    for event in events:
        if not event.failed:
            at = latest.get(event.event_class)
            latest[event.event_class] = max(at, event.event_time) if at else event.event_time
    return latest


_SUMMARIES: dict[str, str] = {
    TierRule.ROOT_ACTIVITY: "The account's root user acted in the last {days} days.",
    TierRule.HIGH_RISK: "Successful high-risk calls in the last {days} days.",
    TierRule.WRITE: "Successful changes (no high-risk call) in the last {days} days.",
    TierRule.SENSITIVE_READ: "Successful sensitive reads (no change) in the last {days} days.",
    TierRule.READ_VOLUME: "{reads} successful reads in the last {days} days (Silver from {limit}).",
    TierRule.OTHER: "No successful change or sensitive read, and fewer than {limit} reads, "
    "in the last {days} days.",
    TierRule.AWS_SERVICE: "An AWS service acting on the account's behalf: no tier.",
}
_RULE_CLASSES: dict[str, tuple[str, ...]] = {
    TierRule.HIGH_RISK: (EventClass.HIGH_RISK,),
    TierRule.WRITE: (EventClass.WRITE,),
    TierRule.SENSITIVE_READ: (EventClass.SENSITIVE_READ,),
    TierRule.READ_VOLUME: (EventClass.READ,),
}


def _evidence(rule: str, events: list[PrincipalEvent], counts: dict[str, int]) -> dict[str, Any]:
    """The JSON shown as a tier's evidence: the rule, a sentence, the events that set it, counts."""
    classes = _RULE_CLASSES.get(rule, CLASSES)
    chosen = [e for e in events if not e.failed and e.event_class in classes]
    chosen.sort(key=lambda e: (e.event_time, e.event_id), reverse=True)
    reads = counts.get(EventClass.READ, 0) + counts.get(EventClass.SENSITIVE_READ, 0)
    days = WINDOW.days
    return {
        "rule": rule,
        "summary": _SUMMARIES[rule].format(days=days, reads=reads, limit=READ_VOLUME_THRESHOLD),
        "events": [event_json(e) for e in chosen[:EVIDENCE_PER_CLASS]]
        if rule != TierRule.AWS_SERVICE
        else [],
        "successful": {c: counts.get(c, 0) for c in CLASSES},
        "failed": {c: counts.get(f"failed_{c}", 0) for c in CLASSES},
        "window_days": days,
    }


def event_json(event: PrincipalEvent) -> dict[str, Any]:
    """One evidence event as the API and pages show it (AWS's strings verbatim)."""
    return {
        "event_id": event.event_id,
        "event_time": event.event_time.isoformat(),
        "event_source": event.event_source,
        "event_name": event.event_name,
        "event_class": event.event_class,
        "region": event.region,
        "session_name": event.session_name,
        "source_ip": event.source_ip,
    }
