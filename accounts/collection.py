"""Collection runs: which (account, region, source) to collect, and the record of each.

Each source declares its syncer beside its collector (accounts.source_registry); they are registered here once
the apps are ready, so this app never imports them by name.
A syncer gets a SyncContext (the account, region, a client factory, the stored cursor) and returns a
SyncResult; this module records the run, translates our AWS exceptions into outcomes, moves the cursor
only after a complete pass, and never lets one target's failure stop the others.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string

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
from accounts.delegated import administrator_for, covered_members, membership_record
from accounts.models import AwsAccount, CollectionRun, SyncCursor
from accounts.onboarding import hub_principal_learn
from accounts.payer import payer_for_collection
from accounts.runs import (
    run_claim,
    run_ended,
    run_heartbeat,
    run_started,
    runs_sweep,
    target_lock_key,
)
from accounts.source_registry import source_declaration, source_declarations

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
    # Through a delegated administrator: the accounts this pass reads (the administrator and its
    # covered members); empty when the pass reads `account` alone.
    scope: list[AwsAccount] = field(default_factory=list)

    def client(self, service: str) -> AwsClient:
        """A counted client for `service` in this account and region."""
        return self.gateway.for_account(self.account, service, self.region)

    @property
    def accounts(self) -> list[AwsAccount]:
        """Every account whose findings this pass reads (what a full pass may mark gone)."""
        return self.scope or [self.account]


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
    """A collectable source: its syncer, whether it is per region, whether only the payer has it."""

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
    """Register (or replace) the syncer of a source (tests replace one with a fake)."""
    if spec.source not in Source.values:
        raise ValueError(f"unknown source {spec.source!r}")
    _REGISTRY[spec.source] = spec


def sources_register_declared() -> None:
    """Register every declared source's syncer (accounts.source_registry); called once apps are ready."""
    for declaration in source_declarations():
        syncer = import_string(declaration.syncer)
        source_register(
            SourceSpec(
                source=declaration.name,
                sync=syncer,
                regional=declaration.regional,
                payer_only=declaration.payer_only,
            )
        )


def source_spec(source: str) -> SourceSpec | None:
    return _REGISTRY.get(source)


@dataclass(frozen=True)
class Target:
    """One (account, region, source) to collect; `via_admin`: the account is the source's
    delegated administrator and the pass reads every covered member's findings too."""

    account: AwsAccount
    region: str
    source: str
    via_admin: bool = False


def collection_targets(*, accounts: Iterable[AwsAccount], sources: Iterable[str]) -> list[Target]:
    """Every target of the enabled sources of `accounts`, per region for regional sources.

    A source with a delegated administrator is read once per region through it, and a member it
    last reported covered there has no target of its own; the administrator's targets come first
    (also when only its members were asked for)."""
    wanted = [s for s in Source.values if s in set(sources)]
    accounts = list(accounts)
    admin_targets: list[Target] = []
    targets: list[Target] = []
    for source in wanted:
        admin = administrator_for(source) if source_declaration(source).admin_capable else None
        covered = set() if admin is None else covered_members(administrator=admin, source=source)
        admin_regions: set[str] = set()
        for account in accounts:
            if source not in account.sources:
                continue
            for region in _regions(account, source):
                if (admin is not None and account.pk == admin.pk) or (
                    account.pk,
                    region,
                ) in covered:
                    admin_regions.add(region)
                else:
                    targets.append(Target(account, region, source))
        if admin is not None:
            regions = [r for r in admin.regions if r in admin_regions]
            admin_targets.extend(Target(admin, r, source, via_admin=True) for r in regions)
    return admin_targets + targets


def _regions(account: AwsAccount, source: str) -> list[str]:
    spec = source_spec(source)
    regional = spec.regional if spec else source_declaration(source).regional
    return list(account.regions) if regional else [GLOBAL_REGION]


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
    return _Lock(target_lock_key(target.account.account_id, target.region, target.source))


def collection_run_target(
    *, target: Target, gateway: AwsGateway, full: bool = False, payer_note: str = ""
) -> CollectionRun:
    """Collect one target and record the run; never raises for an AWS or collector failure.

    `payer_note` is what a payer-only source of another account records as its reason to skip
    (see accounts.payer.payer_for_collection).

    The run records its owner (host, process) and beats while it calls AWS; if this process dies
    the sweeper (accounts.runs) records it `interrupted`. A lock held by a run whose process is gone
    is released first, so a redelivered task does not skip its own target."""
    lock = target_lock(target)
    run = CollectionRun(
        account=target.account,
        region=target.region,
        source=target.source,
        full=full,
        lock_token=lock.token,
    )
    run_claim(run)
    run.save()
    run_started(run)
    try:
        if not lock.acquire():
            runs_sweep(
                account_id=target.account.account_id, region=target.region, source=target.source
            )
            if not lock.acquire():
                error = "another run of it is in progress"
                return _finish(run, outcome=CheckOutcome.SKIPPED, error=error)
        try:
            return _run_locked(run, target, gateway, full, payer_note)
        except Exception as exc:  # storing the outcome or cursor failed (the database)
            with suppress(Exception):
                error = f"internal error: {type(exc).__name__}: {exc}"
                _finish(run, outcome=CheckOutcome.FAILED, error=error)
            raise
        except BaseException:
            # Interrupted in this process (Ctrl-C, a worker's shutdown): say so now; if even that
            # fails (the database went away), the sweeper says it later.
            with suppress(Exception):
                error = "interrupted: the run stopped before it finished"
                _finish(run, outcome=CheckOutcome.INTERRUPTED, error=error)
            raise
        finally:
            lock.release()
    finally:
        run_ended(run)


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
        calls.listener = lambda: run_heartbeat(run)
        try:
            if target.via_admin:
                context.scope = _admin_scope(target, gateway)
            result = spec.sync(context)
        except ServiceNotEnabled as exc:
            return _finish(run, outcome=CheckOutcome.NOT_ENABLED, error=str(exc), calls=calls.total)
        except AccessDenied as exc:
            return _finish(
                run, outcome=CheckOutcome.ACCESS_DENIED, error=str(exc), calls=calls.total
            )
        except AwsError as exc:
            return _finish(run, outcome=CheckOutcome.FAILED, error=str(exc), calls=calls.total)
        except SoftTimeLimitExceeded:
            limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
            error = (
                f"time limit reached: stopped after {limit} s (WATCHPOST_TASK_TIME_LIMIT); "
                "the next run resumes from the last complete pass"
            )
            return _finish(run, outcome=CheckOutcome.FAILED, error=error, calls=calls.total)
        except Exception as exc:  # one target's bug must not stop the others; logged in full
            logger.exception("collection of %s failed", run)
            error = f"internal error: {type(exc).__name__}: {exc}"
            return _finish(run, outcome=CheckOutcome.FAILED, error=error, calls=calls.total)
    if result.cursor is not None or result.state is not None:
        _store_cursor(target, result)
    return _finish(
        run, outcome=result.outcome, error=result.error, calls=calls.total, result=result
    )


def _admin_scope(target: Target, gateway: AwsGateway) -> list[AwsAccount]:
    """Ask the administrator for its members in the region (recorded, unknown ones added
    disabled) and return the accounts the pass covers."""
    admin = source_declaration(target.source).admin
    assert admin is not None
    service = source_declaration(target.source).probe.service
    client = gateway.for_account(target.account, service, target.region)
    statuses = import_string(admin.members)(client)
    return membership_record(
        administrator=target.account, source=target.source, region=target.region, statuses=statuses
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
    try:
        run.save()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        # The connection broke mid-run (the backend was terminated, a failover): the outcome is
        # worth one new connection; if that fails too the sweeper records the run later.
        connection.close()
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
    broken = {CheckOutcome.FAILED, CheckOutcome.INTERRUPTED}
    if seen and seen <= broken:
        return CheckOutcome.FAILED
    if seen & (broken | {CheckOutcome.PARTIAL}):
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
    runs_sweep()  # runs left without an outcome by a process that died: `interrupted`
    gateway = gateway or AwsGateway(session_name="watchpost-collect")
    collection_start()
    by_account: set[int] = set()
    accounts, sources = list(accounts), list(sources)
    targets = collection_targets(accounts=accounts, sources=sources)
    if targets:
        hub_principal_learn(gateway=gateway, learned_by="collect")
    payer_note = payer_resolve(targets=targets, gateway=gateway, accounts=accounts)
    through_admin = [t for t in targets if t.via_admin]
    for target in through_admin:
        by_account.add(target.account.pk)
        yield collection_run_target(target=target, gateway=gateway, full=full)
    if through_admin:
        # What the administrators just reported covered needs no target of its own.
        targets = collection_targets(accounts=accounts, sources=sources)
    for target in (t for t in targets if not t.via_admin):
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
        .exclude(outcome="")  # runs still running say nothing yet
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
