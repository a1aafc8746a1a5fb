"""Bench section `ingest` (run by bench/scale.py): storing findings, cold collect, resync, CloudTrail.

N GuardDuty findings over 4 accounts x 2 regions come from procedural estates of the emulator
(aws_emulator.procedural: finding i computed from i; nothing on disk, no N dicts in memory). Each
measured phase runs in a child process of its own, so that its peak RSS is its own:

- copy: the same rows the store path stages, COPYed into a table created LIKE findings_finding
  INCLUDING ALL (same indexes and constraints): the baseline of the store.
- store: finding_upsert_many over the same records, in the batches the sync uses (history events,
  categories, signals and all). Only the two writes are timed, not making the records.
- inspector: N/10 Inspector package findings (recorded samples, each its own finding) stored the
  same way, each with its vulnerability row, then the report rollups computed (as a collection
  does when it ends).
- collect: the whole cold `collect --source guardduty` through the real path (boto3 clients, STS,
  the emulator in-process with its request and response validation, botocore's parsing).
- resync: `collect --source guardduty --full` again, nothing changed at AWS: every finding is
  fetched and compared, and no row may be written (counted by the rows' xmin), updated_at kept.
- cloudtrail: the first 60-day pass over N events in one account and region, with its peak RSS.
  The 2 calls a second of LookupEvents is lifted for the bench (it would make the pass N/100 s).

Each phase also reports the CPU it used: this process's (time.process_time) and its PostgreSQL
backend's (from /proc, when the database runs on this machine), and for a collect the emulator's
share (AWS's side, not ours in production). On a shared machine wall time is CPU time stretched by
the wait for a core; the "by CPU" rows do not depend on the load, so they compare across runs
(the Ratio of the collect row is wall over CPU: the load's stretch).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = [f"{700000000000 + k:012d}" for k in range(4)]
REGIONS = ["us-east-1", "eu-west-1"]
TRAIL_ACCOUNT = "700000000009"
BATCH = 1000  # records per store call: what findings.services.sync hands the store
RSS_BUDGET_MB = 300


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(what: str, measured: str, target: str, ok: bool, baseline: str = "", ratio: Any = None):
    return {
        "what": what,
        "measured": measured,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "ok": bool(ok),
    }


# -- the parent: prepares, runs each phase in a child, checks, returns the rows -----------------
def run(n: int) -> list[dict[str, Any]]:
    """Every ingest figure at `n` findings (and `n` CloudTrail events)."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0).isoformat()
    _reset(findings=True)
    copy = _child("copy", n, end)
    store = _child("store", n, end)
    store_ok = _store_sanity(n)
    inspector = _child("inspector", n, end)
    inspector_ok = _inspector_sanity(_inspector_n(n))
    _reset(findings=True)
    collect = _child("collect", n, end)
    sanity = _collect_sanity(n)
    before = _write_marks()
    resync = _child("resync", n, end)
    after = _write_marks()
    trail = _child("cloudtrail", n, end)
    tiers = _tier_sanity()
    written = after["rows_since"](before["txid"])
    ratio = store["seconds"] / copy["seconds"]
    rows = [
        _row(
            "Store (finding_upsert_many), findings/s",
            f"{n / store['seconds']:,.0f}/s ({store['seconds']:.1f} s)",
            ">= 2,500/s and <= 3x COPY",
            n / store["seconds"] >= 2500 and ratio <= 3,
            f"COPY same rows, same indexes: {n / copy['seconds']:,.0f}/s ({copy['seconds']:.1f} s)",
            ratio,
        ),
        _row(
            "Store: peak RSS",
            f"{store['rss']:.0f} MB",
            f"<= {RSS_BUDGET_MB} MB",
            store["rss"] <= RSS_BUDGET_MB,
            f"process at start: {store['rss_start']:.0f} MB",
        ),
        _row(
            "Store: history, categories, signals",
            store_ok["text"],
            "all still happen",
            store_ok["ok"] and store["announced"] == n,
        ),
        _row(
            f"Store Inspector findings with their vulnerabilities ({_inspector_n(n):,})",
            f"{_inspector_n(n) / inspector['seconds']:,.0f}/s ({inspector['seconds']:.1f} s; "
            f"by CPU {_inspector_n(n) / (inspector['cpu'] + (inspector['db_cpu'] or 0)):,.0f}/s)"
            f", {inspector_ok['text']}",
            ">= 2,500/s, every vulnerability stored",
            _inspector_n(n) / inspector["seconds"] >= 2500 and inspector_ok["ok"],
            f"GuardDuty store: {n / store['seconds']:,.0f}/s",
            (inspector["seconds"] / _inspector_n(n)) / (store["seconds"] / n),
        ),
        _row(
            "Cold `collect --source guardduty`, findings/s",
            f"{n / collect['seconds']:,.0f}/s ({collect['seconds']:.1f} s)",
            ">= 1,000/s",
            n / collect["seconds"] >= 1000,
            f"store alone: {n / store['seconds']:,.0f}/s",
            collect["seconds"] / store["seconds"],
        ),
        _row(
            "Cold collect: peak RSS",
            f"{collect['rss']:.0f} MB",
            f"<= {RSS_BUDGET_MB} MB",
            collect["rss"] <= RSS_BUDGET_MB,
            f"process at start: {collect['rss_start']:.0f} MB",
        ),
        _row(
            "Cold collect: history, daily counts, categories, signals",
            sanity["text"],
            "all still happen",
            sanity["ok"] and collect["announced"] == n,
        ),
        _row(
            "Full resync, nothing changed: rows written",
            f"{written} rows, {after['events'] - before['events']} events, "
            f"updated_at {'kept' if after['newest'] == before['newest'] else 'MOVED'}",
            "0 rows, updated_at untouched",
            written == 0
            and after["events"] == before["events"]
            and after["newest"] == before["newest"],
            f"{n:,} findings fetched and compared",
        ),
        _row(
            "Full resync: time, peak RSS",
            f"{resync['seconds']:.1f} s ({n / resync['seconds']:,.0f}/s), {resync['rss']:.0f} MB",
            f"<= {RSS_BUDGET_MB} MB",
            resync["rss"] <= RSS_BUDGET_MB,
            f"cold collect: {collect['seconds']:.1f} s",
            resync["seconds"] / collect["seconds"],
        ),
        _row(
            f"CloudTrail first 60-day pass, {n:,} events: peak RSS",
            f"{trail['rss']:.0f} MB ({trail['seconds']:.1f} s, {n / trail['seconds']:,.0f} events/s)",
            f"<= {RSS_BUDGET_MB} MB, streamed",
            trail["rss"] <= RSS_BUDGET_MB,
            f"process at start: {trail['rss_start']:.0f} MB",
        ),
        _row("CloudTrail: tiers", tiers["text"], "right", tiers["ok"]),
        *_cpu_rows(n, copy, store, collect),
    ]
    _reset(findings=True)
    return rows


def _cpu_rows(
    n: int, copy: dict[str, Any], store: dict[str, Any], collect: dict[str, Any]
) -> list[dict[str, Any]]:
    """The same phases by the CPU they used (this process and its PostgreSQL backend), which
    does not depend on what else runs on the machine: wall time under load is CPU time
    stretched by the wait for a core, so these are the figures to compare across runs."""
    if None in (copy["db_cpu"], store["db_cpu"], collect["db_cpu"]):
        note = "n/a: PostgreSQL is not on this machine (its CPU cannot be read)"
        return [_row("CPU view of store and collect", note, "", True)]
    copy_cpu = copy["cpu"] + copy["db_cpu"]
    store_cpu = store["cpu"] + store["db_cpu"]
    collect_cpu = collect["cpu"] + collect["db_cpu"]
    ours = collect_cpu - collect["emulator_cpu"]
    return [
        _row(
            "Store by CPU: Python + PostgreSQL per finding",
            f"{1000 * store_cpu / n:.3f} ms ({1000 * store['cpu'] / n:.3f} + "
            f"{1000 * store['db_cpu'] / n:.3f}): {n / store_cpu:,.0f}/s",
            "<= 3x COPY, >= 2,500/s",
            store_cpu / copy_cpu <= 3 and n / store_cpu >= 2500,
            f"COPY: {1000 * copy_cpu / n:.3f} ms ({1000 * copy['cpu'] / n:.3f} + "
            f"{1000 * copy['db_cpu'] / n:.3f})",
            store_cpu / copy_cpu,
        ),
        _row(
            "Cold collect by CPU: Python + PostgreSQL per finding",
            f"{1000 * collect_cpu / n:.3f} ms ({1000 * collect['cpu'] / n:.3f} + "
            f"{1000 * collect['db_cpu'] / n:.3f}): {n / collect_cpu:,.0f}/s",
            ">= 1,000/s",
            n / collect_cpu >= 1000,
            f"wall: {n / collect['seconds']:,.0f}/s; without the emulator's own "
            f"{collect['emulator_cpu']:.1f} s: {n / ours:,.0f}/s",
            collect["seconds"] / collect_cpu,
        ),
    ]


def _child(phase: str, n: int, end: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its last output line is its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), phase, str(n), end]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(
            f"bench phase {phase} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {phase}: {json.dumps(result)} ({time.perf_counter() - started:.0f} s with set-up)",
        file=sys.stderr,
        flush=True,
    )
    return result


def _reset(*, findings: bool) -> None:
    """Empty what the bench writes (its own database: see bench/scale.py)."""
    from django.db import connection

    from accounts.models import AwsAccount

    tables = [
        "findings_findingevent",
        "findings_findingvulnerability",
        "findings_findingdailycount",
        "findings_finding",
        "accounts_collectionrun",
        "accounts_synccursor",
    ]
    with connection.cursor() as cursor:
        if findings:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
    from principals.models import Principal

    Principal.objects.filter(account__account_id=TRAIL_ACCOUNT).delete()  # a first pass
    AwsAccount.objects.exclude(account_id__in=[*ACCOUNTS, TRAIL_ACCOUNT]).update(enabled=False)
    for account_id in ACCOUNTS:
        AwsAccount.objects.update_or_create(
            account_id=account_id,
            defaults={
                "name": f"Bench {account_id[-1]}",
                "role_arn": f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
                "regions": REGIONS,
                "sources": ["guardduty"],
                "enabled": True,
            },
        )
    AwsAccount.objects.update_or_create(
        account_id=TRAIL_ACCOUNT,
        defaults={
            "name": "Bench trail",
            "role_arn": f"arn:aws:iam::{TRAIL_ACCOUNT}:role/WatchpostReadOnly",
            "regions": ["us-east-1"],
            "sources": ["cloudtrail"],
            "enabled": True,
        },
    )


def _store_sanity(n: int) -> dict[str, Any]:
    from findings.choices import FindingEventKind
    from findings.models import Finding, FindingEvent

    stored = Finding.objects.count()
    created = FindingEvent.objects.filter(kind=FindingEventKind.CREATED).count()
    categorised = Finding.objects.exclude(category=None).count()
    ok = stored == n and created == n and categorised > n // 2
    return {
        "ok": ok,
        "text": f"{stored:,} stored, {created:,} created events, {categorised:,} categorised",
    }


def _inspector_n(n: int) -> int:
    """Inspector findings of the bench: a tenth of N (package findings are the bulk of a big
    organisation's Inspector findings, each with its vulnerability row)."""
    return max(100, n // 10)


def _inspector_sanity(n: int) -> dict[str, Any]:
    from findings.models import Finding, FindingVulnerability

    stored = Finding.objects.filter(source="inspector").count()
    vulnerabilities = FindingVulnerability.objects.count()
    return {
        "ok": stored == n and vulnerabilities == n,
        "text": f"{stored:,} stored, {vulnerabilities:,} vulnerabilities",
    }


def _collect_sanity(n: int) -> dict[str, Any]:
    from django.db.models import Sum

    from findings.choices import FindingEventKind
    from findings.models import Finding, FindingDailyCount, FindingEvent

    stored = Finding.objects.count()
    created = FindingEvent.objects.filter(kind=FindingEventKind.CREATED).count()
    bands = Finding.objects.values("severity").distinct().count()
    archived = Finding.objects.filter(aws_state="archived").count()
    categories = Finding.objects.exclude(category=None).values("category").distinct().count()
    daily = FindingDailyCount.objects.aggregate(total=Sum("count"))["total"] or 0
    open_now = Finding.objects.open().count()
    ok = stored == n and created == n and bands == 4 and daily == open_now and categories >= 8
    text = (
        f"{stored:,} stored, {created:,} created events, {bands} bands, {archived:,} archived, "
        f"{categories} categories, daily counts {daily:,} = open {open_now:,}"
    )
    return {"ok": ok, "text": text}


def _write_marks() -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Max

    from findings.models import Finding, FindingEvent

    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        txid = cursor.fetchone()[0]

    def rows_since(mark: int) -> int:
        # xmin is a row's writing transaction (32 bits): a fresh bench database does not wrap.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM findings_finding WHERE xmin::text::bigint > %s",
                [mark % 2**32],
            )
            return cursor.fetchone()[0]

    return {
        "txid": txid,
        "rows_since": rows_since,
        "events": FindingEvent.objects.count(),
        "newest": Finding.objects.aggregate(m=Max("updated_at"))["m"],
    }


def _tier_sanity() -> dict[str, Any]:
    from collections import Counter

    from principals.models import Principal

    principals = list(Principal.objects.filter(account__account_id=TRAIL_ACCOUNT))
    tiers = Counter(p.tier or "none" for p in principals)
    by_type = {p.identity_type: p.tier for p in principals}
    ok = (
        len(principals) >= 7
        and by_type.get("root") == "platinum"
        and by_type.get("aws_service") is None
        and len(tiers) >= 3
        and all(p.tier for p in principals if p.identity_type != "aws_service")
    )
    text = f"{len(principals)} principals: " + ", ".join(
        f"{k} {v}" for k, v in sorted(tiers.items())
    )
    return {"ok": ok, "text": text}


# -- the children: one phase each ----------------------------------------------------------------
def _world(n: int, end: datetime, *, trail: bool = False) -> Any:
    from accounts.models import AwsAccount
    from aws_emulator import World

    world = World(hub_account_id="999999999999")
    for account in AwsAccount.objects.filter(account_id__in=[*ACCOUNTS, TRAIL_ACCOUNT]):
        world.add_account(account.account_id)
        world.add_role(account.account_id, account.role_name, external_id=account.external_id)
    if trail:
        world.cloudtrail(TRAIL_ACCOUNT, "us-east-1").procedural(n, end=end)
        return world
    for k, (account_id, region) in enumerate((a, r) for a in ACCOUNTS for r in REGIONS):
        share = n // 8 + (1 if k < n % 8 else 0)
        world.guardduty(account_id, region).procedural(share, end=end)
    return world


def _estates(world: Any) -> list[tuple[Any, Any]]:
    from accounts.models import AwsAccount

    accounts = {a.account_id: a for a in AwsAccount.objects.filter(account_id__in=ACCOUNTS)}
    return [(accounts[a], world.guardduty(a, r).generated) for a in ACCOUNTS for r in REGIONS]


def _batches(world: Any) -> Any:
    """(account, records) of BATCH findings, as the collector would make them (no botocore)."""
    from findings.collectors.guardduty import finding_record

    for account, estate in _estates(world):
        for start in range(0, estate.n, BATCH):
            stop = min(estate.n, start + BATCH)
            yield account, [finding_record(estate.build(i)) for i in range(start, stop)]


def _phase_copy(world: Any) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from findings.models import Finding
    from findings.services.staging import insert_defaults
    from findings.services.upsert import _STAGED, finding_rows

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_copy (LIKE findings_finding INCLUDING ALL)")
    staged = [f.column for f in _STAGED]
    seconds = cpu = 0.0
    with transaction.atomic():
        for account, records in _batches(world):
            defaults = insert_defaults(Finding, staged, timezone.now())
            tail = tuple(defaults.values())
            rows = [row + tail for row in finding_rows(records, {}, account.pk)]
            columns = ", ".join([*staged, *defaults])
            started, cpu_started = time.perf_counter(), time.process_time()
            sql = f"COPY bench_copy ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            seconds += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy")
    return {"seconds": seconds, "cpu": cpu}


def _phase_store(world: Any) -> dict[str, Any]:
    from findings.services.upsert import finding_upsert_many

    seconds = cpu = 0.0
    for account, records in _batches(world):
        started, cpu_started = time.perf_counter(), time.process_time()
        finding_upsert_many(records=records, default_account=account)
        seconds += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu}


def _phase_inspector(n: int) -> dict[str, Any]:
    """Inspector package findings (the emulator's recorded ListFindings items, each made a finding
    of its own), stored in the sync's batches; their records made outside the timing."""
    import json as _json

    from accounts.models import AwsAccount
    from aws_emulator.seed.templates import load
    from findings.collectors.inspector import finding_record
    from findings.services.rollups import rollups_flush
    from findings.services.upsert import finding_upsert_many

    account = AwsAccount.objects.get(account_id=ACCOUNTS[0])
    templates = [_json.dumps(t) for t in load("inspector2_list_findings.json")["findings"]]
    seconds = cpu = 0.0
    for start in range(0, n, BATCH):
        records = []
        for i in range(start, min(n, start + BATCH)):
            payload = _json.loads(templates[i % len(templates)])
            payload["awsAccountId"] = account.account_id
            payload["findingArn"] = (
                f"arn:aws:inspector2:us-east-1:{account.account_id}:finding/{i:032x}"
            )
            records.append(finding_record(payload))
        started, cpu_started = time.perf_counter(), time.process_time()
        finding_upsert_many(records=records, default_account=account)
        seconds += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    # The report rollups of what was stored, as a collection computes them when it ends.
    started, cpu_started = time.perf_counter(), time.process_time()
    rollups_flush(source="inspector")
    seconds += time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    return {"seconds": seconds, "cpu": cpu}


def _collect(world: Any, *args: str) -> dict[str, Any]:
    from collections import deque
    from io import StringIO

    from django.core.management import call_command

    from aws_emulator import Emulator

    with Emulator(world) as emulator:
        emulator.dispatcher.calls = deque(maxlen=100)  # the call log would grow with N
        aws = _time_spent(emulator.dispatcher, "handle")  # AWS's side: not ours in production
        out = StringIO()
        started, cpu_started = time.perf_counter(), time.process_time()
        call_command("collect", *args, stdout=out)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    failed = [line for line in out.getvalue().splitlines() if " ok " not in line]
    if failed:
        raise RuntimeError("collect did not succeed everywhere:\n" + "\n".join(failed))
    return {"seconds": seconds, "cpu": cpu, "emulator_cpu": aws[0]}


def _time_spent(owner: Any, name: str) -> list[float]:
    """Wrap owner.name to add the CPU seconds spent in it to the returned cell."""
    cell = [0.0]
    method = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            cell[0] += time.process_time() - started

    setattr(owner, name, timed)
    return cell


def _phase_cloudtrail(world: Any) -> dict[str, Any]:
    from accounts import ratelimit
    from aws_emulator.services import cloudtrail

    ratelimit.RATED_OPERATIONS.clear()  # see the module docstring
    cloudtrail.RATE_PER_SECOND = 10**9
    return _collect(world, "--account", TRAIL_ACCOUNT, "--source", "cloudtrail")


def child(phase: str, n: int, end: datetime) -> dict[str, Any]:
    """Run `phase` in this process and return its figures (seconds, rss, announced ids)."""
    import django

    django.setup()
    from findings.signals import finding_changed

    announced = []
    finding_changed.connect(
        lambda sender, kind, finding_ids, **_: announced.append(len(finding_ids)), weak=False
    )
    world = _world(n, end, trail=phase == "cloudtrail")
    rss_start = _rss_mb()
    db_start = _db_cpu()
    phases = {
        "copy": lambda: _phase_copy(world),
        "store": lambda: _phase_store(world),
        "inspector": lambda: _phase_inspector(_inspector_n(n)),
        "collect": lambda: _collect(world, "--source", "guardduty"),
        "resync": lambda: _collect(world, "--source", "guardduty", "--full"),
        "cloudtrail": lambda: _phase_cloudtrail(world),
    }
    result = phases[phase]()
    db_end = _db_cpu()
    db = None if db_start is None or db_end is None else db_end - db_start
    return {
        **result,
        "db_cpu": db,
        "rss": _rss_mb(),
        "rss_start": rss_start,
        "announced": sum(announced),
    }


def _db_cpu() -> float | None:
    """CPU seconds this process's PostgreSQL backend has used (user + system), read from
    /proc; None when the database runs on another machine (or is not PostgreSQL)."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor != "postgresql":
        return None
    pid = connection.connection.info.backend_pid
    try:
        if "postgres" not in Path(f"/proc/{pid}/comm").read_text():
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parser = argparse.ArgumentParser(
        description="one phase of the ingest bench (see bench/scale.py)"
    )
    parser.add_argument("phase")
    parser.add_argument("n", type=int)
    parser.add_argument("end", type=datetime.fromisoformat)
    args = parser.parse_args()
    print(json.dumps(child(args.phase, args.n, args.end)))
