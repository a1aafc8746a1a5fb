"""Who owns a collection run, its heartbeat, and the sweeper that ends runs whose owner is gone.

Every run records the host and process that runs it and beats (a time stamp, at most every
HEARTBEAT_SECONDS, from the AWS calls it makes). A run left without an outcome (its process was
killed with SIGKILL, its host died, a worker passed its hard time limit) is found by `runs_sweep`:
on the same host when its process no longer exists, from any host when it stopped beating or passed
its time limit. The sweeper records it `interrupted` with the reason and releases its lock, so the
next run of that target starts at once. It runs at the start of every `collect`, of every scheduled
fan-out, when a run finds its target's lock held, and periodically from beat (config/celery.py).

Nothing here moves a cursor: a run that did not finish never stored one, so the next run starts from
where the last complete pass ended.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.choices import CheckOutcome
from accounts.models import CollectionRun

logger = logging.getLogger(__name__)

# A running run writes its heartbeat at most this often (it beats when it calls AWS).
HEARTBEAT_SECONDS = 30
# A run that has not beaten for this long, on any host, has lost its process. Longer than the
# longest wait inside one AWS call (botocore's standard retries: 5 attempts, 60 s read timeouts).
STALE_AFTER_SECONDS = 10 * 60
# Past the hard time limit a worker kills its task; this margin lets it record its own outcome.
TIME_LIMIT_GRACE_SECONDS = 60

_active: set[int] = set()  # runs of this process still running
_active_lock = threading.Lock()
_last_beat: dict[int, float] = {}


def target_lock_key(account_id: str, region: str, source: str) -> str:
    """The cache key of the lock that keeps two runs of one target from overlapping."""
    return f"watchpost:collect:{account_id}:{region}:{source}"


def owner_host() -> str:
    """This host's name and PID namespace: containers sharing a host name have their own PIDs, so
    a PID is only checked where it means the same process."""
    host = socket.gethostname()
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return host[:200]
    return f"{host[:160]} {namespace[:40]}"


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this host exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def run_claim(run: CollectionRun) -> None:
    """Mark `run` (not yet saved) as this process's, beating now."""
    run.host = owner_host()
    run.pid = os.getpid()
    run.heartbeat_at = timezone.now()


def run_started(run: CollectionRun) -> None:
    with _active_lock:
        _active.add(run.pk)
        _last_beat[run.pk] = time.monotonic()


def run_ended(run: CollectionRun) -> None:
    with _active_lock:
        _active.discard(run.pk)
        _last_beat.pop(run.pk, None)


def run_heartbeat(run: CollectionRun) -> None:
    """Note that `run` is alive, at most every HEARTBEAT_SECONDS."""
    now = time.monotonic()
    with _active_lock:
        if now - _last_beat.get(run.pk, 0.0) < HEARTBEAT_SECONDS:
            return
        _last_beat[run.pk] = now
    CollectionRun.objects.filter(pk=run.pk, outcome="").update(heartbeat_at=timezone.now())


def _is_ours(run: CollectionRun, host: str) -> bool:
    return run.host == host and run.pid == os.getpid()


def interruption_reason(
    run: CollectionRun, *, now: datetime, host: str | None = None
) -> str | None:
    """Why `run` (unfinished) can no longer finish, or None while it may still be running."""
    host = host or owner_host()
    limit = settings.CELERY_TASK_TIME_LIMIT
    if run.started_at < now - timedelta(seconds=limit + TIME_LIMIT_GRACE_SECONDS):
        return f"passed its time limit of {limit} s (WATCHPOST_TASK_TIME_LIMIT) without finishing"
    where = f"pid {run.pid} on {run.host}" if run.host else "an unknown process"
    if run.host == host and run.pid is not None:
        if _is_ours(run, host):
            with _active_lock:
                if run.pk not in _active:
                    return f"its process ({where}) stopped running it"
        elif not process_alive(run.pid):
            return f"its process ({where}) is gone"
    beat = run.heartbeat_at or run.started_at
    if beat < now - timedelta(seconds=STALE_AFTER_SECONDS):
        return f"no sign of life from {where} since {beat:%Y-%m-%d %H:%M:%S} UTC"
    return None


def runs_sweep(
    *,
    now: datetime | None = None,
    account_id: str | None = None,
    region: str | None = None,
    source: str | None = None,
) -> list[CollectionRun]:
    """Record `interrupted` every unfinished run (of one target, if given) that can no longer
    finish, release its lock, and return them. Safe to run from many hosts at once: each run is
    ended by one sweeper only."""
    now = now or timezone.now()
    host = owner_host()
    unfinished = CollectionRun.objects.filter(outcome="").select_related("account")
    if account_id is not None:
        unfinished = unfinished.filter(
            Q(account__account_id=account_id) & Q(region=region) & Q(source=source)
        )
    swept = []
    for run in unfinished.order_by("started_at")[:10_000]:
        reason = interruption_reason(run, now=now, host=host)
        if reason is None:
            continue
        error = f"interrupted: {reason}; the next run resumes from the last complete pass"
        ended = CollectionRun.objects.filter(pk=run.pk, outcome="").update(
            outcome=CheckOutcome.INTERRUPTED, error=error[:4000], finished_at=now
        )
        if not ended:
            continue  # it finished meanwhile, or another sweeper got it
        _lock_release(run)
        run.outcome, run.error, run.finished_at = CheckOutcome.INTERRUPTED, error, now
        logger.warning("collection run %s %s", run.pk, error)
        swept.append(run)
    if swept:
        from accounts.collection import account_refresh_last_check

        for account in {run.account_id: run.account for run in swept}.values():
            account_refresh_last_check(account=account)
    return swept


def _lock_release(run: CollectionRun) -> None:
    """Release the run's lock if it still holds it (never a later run's)."""
    if not run.lock_token:
        return
    key = target_lock_key(run.account.account_id, run.region, run.source)
    if cache.get(key) == run.lock_token:
        cache.delete(key)
