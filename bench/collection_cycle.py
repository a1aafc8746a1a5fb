"""Bench: one scheduled GuardDuty cycle of an organisation, member mode against delegated
administrator mode, measured in one run against the emulator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/collection_cycle.py [--accounts 200] [--regions 17]

The organisation: N accounts (one of them the delegated administrator), R regions, GuardDuty on
everywhere with a few findings per account and region. Each mode collects once (the cycle that
fills the database and, in administrator mode, learns the membership), then the measured cycle
runs as beat schedules it: `accounts.collection.collect` over every enabled account, the stored
cursors in place. Printed per mode: AWS calls (every call the emulator answered, STS included),
AssumeRole calls, wall time; then the ratio member / administrator, target >= 10x fewer calls.
Both modes must store the same findings. The bench empties the collection tables of its database.

Then the member mode's scaling: the same cycle (GuardDuty and CloudTrail, from an empty database,
so CloudTrail reads TRAIL_EVENTS_PER_TARGET events a target: several LookupEvents pages that must
wait for the shared 2-a-second limiter of accounts/ratelimit.py) run by real `celery worker`
processes on REDIS_URL and DATABASE_URL, the emulator serving them over HTTP (AWS_ENDPOINT_URL),
once with 1 worker and once with W (`--workers`, default 4). Printed per run: AWS calls, AssumeRole
calls, LookupEvents answered ThrottlingException (must be 0: the limit held), wall time from the
first task queued to the last target finished; then the parallel efficiency
time(1 worker) / (W x time(W workers)), target >= 0.8. Needs PostgreSQL and Redis:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        DJANGO_SECRET_KEY=x .venv/bin/python bench/collection_cycle.py --accounts 200 --regions 17

Estimated duration of that full-size run on a quiet machine, scaled from the smaller runs: about
3.5 hours (the two modes about 1.5 h, the member mode's filling and measured cycles dominating;
1 worker over 6,800 targets, 0.8 s each, about 1.5 h; 4 workers about 25 min). `--workers 0`
skips the worker runs, `--skip-modes` the two modes. The worker runs queue one
`accounts.collect_target` a target, as `accounts.collect_source` does, and purge the Celery queue
of REDIS_URL first. Measured figures: docs/operations.md ("Delegated administrators").
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

HUB = "999999999999"
ROLE = "WatchpostReadOnly"
EXTERNAL_ID = "watchpost-bench-external-id"
FINDINGS_PER_TARGET = 2
TARGET_RATIO = 10.0
# Three LookupEvents pages (50 a page) a target: the third waits for the shared limiter.
TRAIL_EVENTS_PER_TARGET = 150
TARGET_EFFICIENCY = 0.8
WORKER_SOURCES = ["guardduty", "cloudtrail"]


def account_ids(n: int) -> list[str]:
    """N twelve-digit account ids; the first is the delegated administrator."""
    return [f"{100000000000 + i}" for i in range(n)]


def regions_of(n: int) -> list[str]:
    """The first N of GuardDuty's regions (17 commercial regions when N is 17)."""
    import boto3

    known = sorted(boto3.session.Session().get_available_regions("guardduty"))
    return known[:n]


def build_world(accounts: list[str], regions: list[str], *, trail_events: int = 0) -> Any:
    """The organisation, GuardDuty on in every account and region with a few findings (and
    `trail_events` CloudTrail events in the last two hours of each account and region)."""
    from datetime import timedelta

    from aws_emulator import World

    world = World(hub_account_id=HUB)
    world.organization(management_account_id=accounts[0])
    for account in accounts:
        world.add_account(account)
        world.add_role(account, ROLE, external_id=EXTERNAL_ID)
        for region in regions:
            state = world.guardduty(account, region)
            for k in range(FINDINGS_PER_TARGET):
                state.add_finding(Type=f"Recon:EC2/Bench{k}", Severity=5.0 + k)
            if trail_events:
                world.cloudtrail(account, region).procedural(trail_events, span=timedelta(hours=2))
    return world


def register(accounts: list[str], regions: list[str], sources: list[str] | None = None) -> None:
    """Our accounts, as discovery leaves them: enabled, these regions, GuardDuty on."""
    from accounts.models import AwsAccount

    AwsAccount.objects.bulk_create(
        [
            AwsAccount(
                account_id=account,
                role_arn=f"arn:aws:iam::{account}:role/{ROLE}",
                external_id=EXTERNAL_ID,
                regions=regions,
                sources=sources or ["guardduty"],
            )
            for account in accounts
        ]
    )


def reset() -> None:
    """Empty what a collection writes (findings, runs, cursors, memberships, accounts)."""
    from accounts.models import AwsAccount, CollectionRun, SourceMembership, SyncCursor
    from findings.models import Finding

    Finding.objects.all().delete()
    for model in (CollectionRun, SyncCursor, SourceMembership, AwsAccount):
        model.objects.all().delete()


def one_cycle(emulator: Any) -> dict[str, Any]:
    """Collect GuardDuty of every enabled account once, as the schedule does; what it cost."""
    from accounts.collection import collect
    from accounts.models import AwsAccount

    emulator.reset_calls()
    started = time.perf_counter()
    runs = list(collect(accounts=AwsAccount.objects.filter(enabled=True), sources=["guardduty"]))
    seconds = time.perf_counter() - started
    return {
        "calls": len(emulator.dispatcher.calls),
        "assume_role": emulator.count(service="sts", operation="AssumeRole"),
        "seconds": seconds,
        "targets": len(runs),
        "failed": sum(1 for r in runs if r.outcome not in ("ok",)),
    }


def mode(world: Any, accounts: list[str], regions: list[str], *, admin: bool) -> dict[str, Any]:
    """Set up one mode, collect once to fill, then measure the next (scheduled) cycle."""
    from accounts.models import AwsAccount
    from aws_emulator import Emulator
    from findings.models import Finding

    reset()
    register(accounts, regions)
    world.delegated_admins.clear()
    if admin:
        world.delegate("guardduty", accounts[0])
        AwsAccount.objects.filter(account_id=accounts[0]).update(administers=["guardduty"])
    with Emulator(world) as emulator:
        first = one_cycle(emulator)
        measured = one_cycle(emulator)
    measured["first_cycle_calls"] = first["calls"]
    measured["findings"] = set(
        Finding.objects.values_list("source_id", "account__account_id", "region")
    )
    return measured


def run(n_accounts: int, n_regions: int) -> dict[str, Any]:
    """Both modes on one organisation, in one run; the figures and whether the target is met."""
    accounts, regions = account_ids(n_accounts), regions_of(n_regions)
    world = build_world(accounts, regions)
    member = mode(world, accounts, regions, admin=False)
    administrator = mode(world, accounts, regions, admin=True)
    ratio = member["calls"] / max(administrator["calls"], 1)
    return {
        "accounts": n_accounts,
        "regions": len(regions),
        "member": member,
        "administrator": administrator,
        "ratio": ratio,
        "same_findings": member["findings"] == administrator["findings"]
        and len(member["findings"]) == n_accounts * len(regions) * FINDINGS_PER_TARGET,
        "ok": ratio >= TARGET_RATIO,
    }


def worker_env(endpoint_url: str) -> dict[str, str]:
    """The workers' environment: ours, the database this process uses (a test's too), the
    emulator as AWS."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        raise RuntimeError("the worker runs need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        AWS_ENDPOINT_URL=endpoint_url,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


@contextmanager
def celery_workers(n: int, env: dict[str, str], tag: str) -> Iterator[None]:
    """N `celery worker` processes (one task at a time each), answering pings before we go on."""
    from config.celery import app

    names = [f"bench-{tag}-{i}@{os.uname().nodename}" for i in range(n)]
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
    procs = [
        subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
            [*command, "-n", name, "-l", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for name in names
    ]
    try:
        deadline = time.monotonic() + 120
        while True:
            answered = {name for reply in app.control.ping(timeout=1.0) for name in reply}
            if set(names) <= answered:
                break
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"workers did not start: {sorted(set(names) - answered)}")
        yield
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def trail_limit_held(calls: list[Any]) -> bool:
    """No account and region saw a third LookupEvents inside any one second."""
    times: dict[tuple[str | None, str], list[float]] = {}
    for c in calls:
        if c.service == "cloudtrail" and c.operation == "LookupEvents":
            times.setdefault((c.account_id, c.region), []).append(c.at.timestamp())
    for stamps in times.values():
        stamps.sort()
        if any(stamps[i + 2] - stamps[i] < 1.0 for i in range(len(stamps) - 2)):
            return False
    return True


def workers_cycle(world: Any, accounts: list[str], regions: list[str], workers: int) -> dict:
    """The member-mode cycle of WORKER_SOURCES, from an empty database, run by `workers` real
    Celery workers against the emulator over HTTP; what it cost."""
    from accounts.collection import collection_targets
    from accounts.models import AwsAccount, CollectionRun
    from accounts.tasks import collect_target_task
    from aws_emulator.server import EmulatorServer
    from config.celery import app

    reset()
    register(accounts, regions, WORKER_SOURCES)
    world.delegated_admins.clear()
    targets = collection_targets(
        accounts=list(AwsAccount.objects.filter(enabled=True)), sources=WORKER_SOURCES
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # a test's process queues for the workers too
    try:
        with (
            EmulatorServer(world) as server,
            celery_workers(workers, worker_env(server.url), f"w{workers}"),
        ):
            app.control.purge()
            server.reset_calls()
            started = time.perf_counter()
            for t in targets:
                collect_target_task.delay(t.account.pk, t.region, t.source)
            deadline = started + 60 + 10 * len(targets)
            while CollectionRun.objects.filter(finished_at__isnull=False).count() < len(targets):
                if time.perf_counter() > deadline:
                    raise RuntimeError("the workers did not finish the cycle in time")
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            calls = list(server.calls)
    finally:
        app.conf.task_always_eager = eager
    runs = CollectionRun.objects.all()
    return {
        "workers": workers,
        "targets": len(targets),
        "calls": len(calls),
        "assume_role": sum(1 for c in calls if c.operation == "AssumeRole"),
        "lookup_events": sum(1 for c in calls if c.operation == "LookupEvents"),
        "throttled": sum(1 for c in calls if c.error_code == "ThrottlingException"),
        "limit_held": trail_limit_held(calls),
        "seconds": seconds,
        "failed": runs.exclude(outcome="ok").count(),
    }


def run_workers(n_accounts: int, n_regions: int, workers: int = 4) -> dict[str, Any]:
    """The member-mode cycle with 1 worker, then with `workers`; the parallel efficiency."""
    accounts, regions = account_ids(n_accounts), regions_of(n_regions)
    world = build_world(accounts, regions, trail_events=TRAIL_EVENTS_PER_TARGET)
    one = workers_cycle(world, accounts, regions, 1)
    many = workers_cycle(world, accounts, regions, workers)
    efficiency = one["seconds"] / (workers * many["seconds"])
    return {
        "accounts": n_accounts,
        "regions": len(regions),
        "runs": [one, many],
        "efficiency": efficiency,
        "limit_held": all(r["limit_held"] and r["throttled"] == 0 for r in (one, many)),
        "ok": efficiency >= TARGET_EFFICIENCY,
    }


def report_workers(result: dict[str, Any]) -> str:
    """The worker runs as a markdown table."""
    lines = [
        f"Member mode, GuardDuty and CloudTrail ({TRAIL_EVENTS_PER_TARGET} events a target), "
        f"{result['accounts']} accounts x {result['regions']} regions, real Celery workers, "
        "the emulator over HTTP, LookupEvents held to 2/s per account and region (Redis)",
        "",
        "| Workers | Targets | AWS calls | AssumeRole calls | LookupEvents (throttled) "
        "| Failed | Wall time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        lines.append(
            f"| {r['workers']} | {r['targets']} | {r['calls']} | {r['assume_role']} | "
            f"{r['lookup_events']} ({r['throttled']}) | {r['failed']} | {r['seconds']:.1f} |"
        )
    many = result["runs"][-1]["workers"]
    lines += [
        "",
        f"Parallel efficiency, time(1) / ({many} x time({many})): {result['efficiency']:.2f} "
        f"(target >= {TARGET_EFFICIENCY}): {'met' if result['ok'] else 'MISSED'}",
        f"CloudTrail's 2 requests/s per account and region held: "
        f"{'yes' if result['limit_held'] else 'NO'}",
    ]
    return "\n".join(lines)


def report(result: dict[str, Any]) -> str:
    """The result as a markdown table."""
    lines = [
        f"One scheduled GuardDuty cycle, {result['accounts']} accounts x {result['regions']} "
        "regions (emulator, in one run)",
        "",
        "| Mode | Targets | AWS calls | AssumeRole calls | Wall time (s) | First cycle calls |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("member", "administrator"):
        m = result[name]
        lines.append(
            f"| {name} | {m['targets']} | {m['calls']} | {m['assume_role']} | "
            f"{m['seconds']:.1f} | {m['first_cycle_calls']} |"
        )
    lines += [
        "",
        f"AWS calls, member / administrator: {result['ratio']:.1f}x "
        f"(target >= {TARGET_RATIO:.0f}x): {'met' if result['ok'] else 'MISSED'}",
        f"Same findings stored both ways: {'yes' if result['same_findings'] else 'NO'}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--workers", type=int, default=4, help="0: skip the worker runs")
    parser.add_argument("--skip-modes", action="store_true", help="only the worker runs")
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ok = True
    if not args.skip_modes:
        result = run(args.accounts, args.regions)
        print(report(result), flush=True)
        ok = result["ok"] and result["same_findings"]
    if args.workers:
        scaling = run_workers(args.accounts, args.regions, args.workers)
        print("\n" + report_workers(scaling))
        ok = ok and scaling["ok"] and scaling["limit_held"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
