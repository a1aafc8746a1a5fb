"""Collection runs: which (account, region, source) to collect, and the record of each.

Sources register a syncer here from their own app (findings, costs), so this app never imports them.
A syncer gets a SyncContext (the account, region, a client factory, the stored cursor) and returns a
SyncResult; this module records the run, translates our AWS exceptions into outcomes, moves the cursor
only after a complete pass, and never lets one target's failure stop the others.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from accounts.aws import (
    GLOBAL_REGION,
    AccessDenied,
    AwsClient,
    AwsError,
    AwsGateway,
    ServiceNotEnabled,
    counting_calls,
)
from accounts.choices import CheckOutcome, Source
from accounts.models import AwsAccount, CollectionRun, SyncCursor
from accounts.onboarding import hub_principal_learn
from accounts.payer import payer_for_collection

logger = logging.getLogger(__name__)

__all__ = ["GLOBAL_REGION"]  # re-exported: where the sources have always imported it from


@dataclass
class SyncContext:
    """What a syncer gets: one account and region, its clients, and where the last pass ended."""

    account: AwsAccount
    region: str
    source: str
    gateway: AwsGateway
    cursor: datetime | None
    state: dict[str, Any]
    full: bool

    def client(self, service: str) -> AwsClient:
        """A counted client for `service` in this account and region."""
        return self.gateway.for_account(self.account, service, self.region)


@dataclass(frozen=True)
class SyncResult:
    """What a syncer did. `cursor`/`state` are stored only when given (a complete pass)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    outcome: str = CheckOutcome.OK
    error: str = ""
    cursor: datetime | None = None
    state: dict[str, Any] | None = None


Syncer = Callable[[SyncContext], SyncResult]


@dataclass(frozen=True)
class SourceSpec:
    """A registered source: its syncer, whether it is per region, whether only the payer has it."""

    source: str
    sync: Syncer
    regional: bool = True
    payer_only: bool = False


_REGISTRY: dict[str, SourceSpec] = {}
_START_HOOKS: dict[str, Callable[[], Any]] = {}


def collection_start_register(name: str, hook: Callable[[], Any]) -> None:
    """Run `hook()` at the start of every collection (the `collect` command and each scheduled
    fan-out), before any target; an app's ready() registers it (findings: risk acceptances'
    expiry). Registering a name again replaces its hook."""
    _START_HOOKS[name] = hook


def collection_start() -> None:
    """Run the start hooks, in the order they were registered."""
    for hook in list(_START_HOOKS.values()):
        hook()


def source_register(spec: SourceSpec) -> None:
    """Register (or replace) the syncer of a source; called from an app's ready()."""
    if spec.source not in Source.values:
        raise ValueError(f"unknown source {spec.source!r}")
    _REGISTRY[spec.source] = spec


def source_spec(source: str) -> SourceSpec | None:
    return _REGISTRY.get(source)


@dataclass(frozen=True)
class Target:
    """One (account, region, source) to collect."""

    account: AwsAccount
    region: str
    source: str


def collection_targets(*, accounts: Iterable[AwsAccount], sources: Iterable[str]) -> list[Target]:
    """Every target of the enabled sources of `accounts`, per region for regional sources."""
    wanted = [s for s in Source.values if s in set(sources)]
    targets: list[Target] = []
    for account in accounts:
        for source in wanted:
            if source not in account.sources:
                continue
            spec = source_spec(source)
            regional = spec.regional if spec else source not in (Source.COSTS, Source.BUDGETS)
            for region in account.regions if regional else [GLOBAL_REGION]:
                targets.append(Target(account, region, source))
    return targets


@dataclass
class _Lock:
    key: str
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def acquire(self) -> bool:
        # cache.add is atomic on Redis (SET NX) and in local memory; the timeout frees a lock whose
        # holder died, and is at least the longest a task may run.
        return bool(cache.add(self.key, self.token, timeout=settings.CELERY_TASK_TIME_LIMIT))

    def release(self) -> None:
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def target_lock(target: Target) -> _Lock:
    """The lock that keeps two runs of one account, region and source from overlapping."""
    return _Lock(f"watchpost:collect:{target.account.account_id}:{target.region}:{target.source}")


def collection_run_target(
    *, target: Target, gateway: AwsGateway, full: bool = False, payer_note: str = ""
) -> CollectionRun:
    """Collect one target and record the run; never raises for an AWS or collector failure.

    `payer_note` is what a payer-only source of another account records as its reason to skip
    (see accounts.payer.payer_for_collection)."""
    run = CollectionRun.objects.create(
        account=target.account, region=target.region, source=target.source, full=full
    )
    lock = target_lock(target)
    if not lock.acquire():
        return _finish(run, outcome=CheckOutcome.SKIPPED, error="another run of it is in progress")
    try:
        return _run_locked(run, target, gateway, full, payer_note)
    finally:
        lock.release()


def _run_locked(
    run: CollectionRun, target: Target, gateway: AwsGateway, full: bool, payer_note: str
) -> CollectionRun:
    spec = source_spec(target.source)
    if spec is None:
        return _finish(run, outcome=CheckOutcome.SKIPPED, error="not collected yet")
    if spec.payer_only and not target.account.is_payer:
        note = payer_note or "read from the payer account only"
        return _finish(run, outcome=CheckOutcome.SKIPPED, error=note)
    cursor = SyncCursor.objects.filter(
        account=target.account, region=target.region, source=target.source
    ).first()
    context = SyncContext(
        account=target.account,
        region=target.region,
        source=target.source,
        gateway=gateway,
        cursor=None if full or cursor is None else cursor.cursor,
        state={} if cursor is None else dict(cursor.state),
        full=full,
    )
    with counting_calls() as calls:
        try:
            result = spec.sync(context)
        except ServiceNotEnabled as exc:
            return _finish(run, outcome=CheckOutcome.NOT_ENABLED, error=str(exc), calls=calls.total)
        except AccessDenied as exc:
            return _finish(
                run, outcome=CheckOutcome.ACCESS_DENIED, error=str(exc), calls=calls.total
            )
        except AwsError as exc:
            return _finish(run, outcome=CheckOutcome.FAILED, error=str(exc), calls=calls.total)
        except Exception as exc:  # one target's bug must not stop the others; logged in full
            logger.exception("collection of %s failed", run)
            error = f"internal error: {type(exc).__name__}: {exc}"
            return _finish(run, outcome=CheckOutcome.FAILED, error=error, calls=calls.total)
    if result.cursor is not None or result.state is not None:
        _store_cursor(target, result)
    return _finish(
        run, outcome=result.outcome, error=result.error, calls=calls.total, result=result
    )


def _store_cursor(target: Target, result: SyncResult) -> None:
    defaults: dict[str, Any] = {}
    if result.cursor is not None:
        defaults["cursor"] = result.cursor
    if result.state is not None:
        defaults["state"] = result.state
    SyncCursor.objects.update_or_create(
        account=target.account, region=target.region, source=target.source, defaults=defaults
    )


def _finish(
    run: CollectionRun,
    *,
    outcome: str,
    error: str = "",
    calls: int = 0,
    result: SyncResult | None = None,
) -> CollectionRun:
    run.outcome = outcome
    run.error = error[:4000]
    run.calls = calls
    if result is not None:
        run.new, run.updated, run.unchanged = result.new, result.updated, result.unchanged
    run.finished_at = timezone.now()
    run.save()
    return run


# The account's summary outcome, worst first.
_SEVERITY = [
    CheckOutcome.ACCESS_DENIED,
    CheckOutcome.FAILED,
    CheckOutcome.PARTIAL,
    CheckOutcome.OK,
    CheckOutcome.NOT_ENABLED,
    CheckOutcome.SKIPPED,
]


def account_outcome(outcomes: Iterable[str]) -> str:
    """One outcome for an account from its targets' outcomes: access denied or all failed wins,
    failures among successes are partial."""
    seen = set(outcomes)
    if CheckOutcome.ACCESS_DENIED in seen:
        return CheckOutcome.ACCESS_DENIED
    if seen == {CheckOutcome.FAILED}:
        return CheckOutcome.FAILED
    if seen & {CheckOutcome.FAILED, CheckOutcome.PARTIAL}:
        return CheckOutcome.PARTIAL
    for outcome in _SEVERITY[3:]:
        if outcome in seen:
            return outcome
    return CheckOutcome.SKIPPED


def collect(
    *,
    accounts: Iterable[AwsAccount],
    sources: Iterable[str],
    full: bool = False,
    gateway: AwsGateway | None = None,
) -> Iterator[CollectionRun]:
    """Collect every target in this process, yielding each run as it ends; marks each account's
    last check with its summary outcome. A payer-only source (costs) with no payer flagged first
    finds the payer as discovery does (accounts.payer)."""
    gateway = gateway or AwsGateway(session_name="watchpost-collect")
    collection_start()
    by_account: set[int] = set()
    accounts = list(accounts)
    targets = collection_targets(accounts=accounts, sources=sources)
    if targets:
        hub_principal_learn(gateway=gateway, learned_by="collect")
    payer_note = payer_resolve(targets=targets, gateway=gateway, accounts=accounts)
    for target in targets:
        run = collection_run_target(
            target=target, gateway=gateway, full=full, payer_note=payer_note
        )
        by_account.add(target.account.pk)
        yield run
    for account in accounts:
        if account.pk in by_account:
            account_refresh_last_check(account=account)


def payer_resolve(
    *, targets: Iterable[Target], gateway: AwsGateway, accounts: Iterable[AwsAccount] = ()
) -> str:
    """When `targets` include a payer-only source, make sure the payer is known (found and marked
    if need be) and return what the other accounts' lines say; `accounts` are updated in place."""
    if not any((s := source_spec(t.source)) and s.payer_only for t in targets):
        return ""
    payer, note = payer_for_collection(gateway=gateway)
    for account in accounts:
        account.is_payer = payer is not None and account.pk == payer.pk
    return note


def account_refresh_last_check(*, account: AwsAccount) -> str:
    """Set the account's last check from the latest run of each of its targets; returns it."""
    latest = (
        CollectionRun.objects.filter(account=account)
        .order_by()
        .values("region", "source")
        .annotate(last=Max("id"))
        .values("last")
    )
    outcomes = CollectionRun.objects.filter(id__in=latest).values_list("outcome", flat=True)
    outcome = account_outcome(outcomes)
    AwsAccount.objects.filter(pk=account.pk).update(
        last_check_at=timezone.now(), last_check_outcome=outcome
    )
    return outcome
