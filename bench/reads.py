"""Bench: every list and page read at N findings on PostgreSQL, each against its same-run baseline.

    createdb -h 127.0.0.1 -U postgres watchpost_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/reads.py [--n 1000000] [--port 8600] [--quick]

It migrates the database and tops it up to N findings (bench/reads_fill.py: one INSERT ... SELECT
per table, a realistic mix of GuardDuty, Macie and Inspector with principals and daily history),
then measures, server-side (the WSGI application called in this process, as a Bearer token or a
logged-in session):

- every API list (findings/ first page, each filter including `q`, each ordering, the change feed,
  and principals/, collection-runs/, cost-anomalies/, budgets/, accounts/): p95, and the time over
  the SQL the view ran (the view's time less the same statements re-run through connection.cursor);
- a page reached by following `next` 1,000 times against the first page (requested in turn);
- the cost of each extra object (page_size 500 against 50, requested in turn);
- the HTML findings page, and the overview, categories, Macie, users and Inspector report pages
  (and their API twins): p95 and payload; the Macie and Inspector report pages computed afresh
  (their cache bypassed), as read after a collection and after a triage of one finding;
- throughput of findings/ with 4 concurrent clients (wrk, keep-alive) against gunicorn on `--port`,
  against /healthz on the same server (the server's ceiling).

`run(n)` returns the rows; run alone it prints them as a markdown table. bench/scale.py imports it.

At N = 1,000,000 (`bench/scale.py --n 1000000 --sections reads`) the fill of an empty database took
7 minutes on the shared 2-core machine under a load of 8-10 (its indexes rebuilt after the insert,
then VACUUM ANALYZE), and the figures a few minutes more (the quick figures: 7 minutes under that
load); expect about 10 minutes in all on a quiet machine. A second run on the same database skips
the fill. wrk (apt: wrk) drives the throughput figure; without it a Python client does, and takes
part of the two cores the server is measured on.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

import django  # noqa: E402

django.setup()

import reads_fill  # type: ignore[import-not-found]  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

LIST_P95_MS = 100.0
OVER_SQL_MS = 20.0
PER_OBJECT_US = 20.0
DEEP_RATIO = 1.5
PAGE_P95_MS = 300.0
PAGE_BYTES = 500_000
THROUGHPUT = 200.0
BENCH_RATE = "10000000/min"
API = "/api/v1/"
Row = dict[str, Any]


def _row(
    what: str, measured: str, baseline: str, ratio: float | None, target: str, ok: bool
) -> Row:
    return {
        "what": what,
        "measured": measured,
        "baseline": baseline,
        "ratio": None if ratio is None else round(ratio, 2),
        "target": target,
        "ok": bool(ok),
    }


# --- set-up ---------------------------------------------------------------------------------------


def _raise_rate_limit() -> None:
    """The limiter still runs and counts every request of this process; its budget is raised so
    a figure's hundreds of requests a minute are measured, not refused with 429 (the gunicorn
    figure does the same through WATCHPOST_API_RATE)."""
    from accounts.api.throttling import TokenRateThrottle

    TokenRateThrottle.THROTTLE_RATES = {**TokenRateThrottle.THROTTLE_RATES, "token": BENCH_RATE}


def _people() -> tuple[Any, str]:
    """An analyst who sees every account, and a Bearer token of theirs."""
    from django.contrib.auth import get_user_model

    from accounts.choices import Role
    from accounts.services import person_set_access, token_create

    user, _ = get_user_model().objects.get_or_create(username="bench-analyst")
    person_set_access(actor=None, user=user, role=Role.ANALYST, all_accounts=True, accounts=[])
    _token, raw = token_create(actor=None, user=user, name="bench")
    return user, raw


def _clients(user: Any, token: str) -> tuple[Client, Client]:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    pages = Client()
    pages.force_login(user)
    return api, pages


# --- timing ---------------------------------------------------------------------------------------


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url}: {response.status_code} {response.content[:300]!r}")
    return response


def _times(client: Client, url: str, repeat: int) -> list[float]:
    """Wall times (ms) of `repeat` requests after one warm-up."""
    _get(client, url)
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        _get(client, url)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _sql_time(client: Client, url: str, repeat: int) -> tuple[float, int]:
    """Median time (ms) of the statements the view ran, re-run through connection.cursor and
    fetched, and how many there were."""
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    # A capped count runs with its own time budget (core.keyset.count_capped: `SET LOCAL
    # statement_timeout = N; SELECT COUNT ...; SET LOCAL statement_timeout = 0`); the baseline is the SQL itself, without the budget.
    statements = [
        re.sub(
            r"^SET LOCAL statement_timeout = \d+; |; SET LOCAL statement_timeout = 0$", "", q["sql"]
        )
        for q in captured.captured_queries
    ]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
        runs.append((time.perf_counter() - started) * 1000)
    reset_queries()
    return statistics.median(runs), len(statements)


def _list_row(client: Client, what: str, url: str, repeat: int) -> Row:
    times = _times(client, url, repeat)
    sql, queries = _sql_time(client, url, max(5, repeat // 2))
    p95, median = _p95(times), statistics.median(times)
    over = median - sql
    return _row(
        what,
        f"p95 {p95:.1f} ms, {over:.1f} ms over SQL ({queries} q)",
        f"SQL {sql:.1f} ms",
        p95 / sql if sql else None,
        f"p95 <= {LIST_P95_MS:.0f} ms, over SQL <= {OVER_SQL_MS:.0f} ms",
        p95 <= LIST_P95_MS and over <= OVER_SQL_MS,
    )


def _page_row(client: Client, what: str, url: str, repeat: int, limit_ms: float) -> Row:
    times = _times(client, url, repeat)
    size = len(_get(client, url).content)
    sql, queries = _sql_time(client, url, max(3, repeat // 3))
    p95 = _p95(times)
    return _row(
        what,
        f"p95 {p95:.1f} ms, {size / 1000:.0f} KB ({queries} q)",
        f"SQL {sql:.1f} ms",
        p95 / sql if sql else None,
        f"p95 <= {limit_ms:.0f} ms, <= {PAGE_BYTES // 1000} KB",
        p95 <= limit_ms and size <= PAGE_BYTES,
    )


# --- the figures ----------------------------------------------------------------------------------


def _samples() -> dict[str, str]:
    """Filter values that exist in the bench data (so each filter has real work)."""
    from findings.models import Finding, FindingVulnerability

    account = Finding.objects.order_by("id").values_list("account__account_id", flat=True)[0]
    vuln = FindingVulnerability.objects.exclude(cve_id="").order_by("finding_id").first()
    ip = (
        Finding.objects.exclude(remote_ip="").order_by("-id").values_list("remote_ip", flat=True)[0]
    )
    hexword = (
        Finding.objects.filter(source="guardduty")
        .order_by("-id")
        .values_list("title", flat=True)[0]
    )
    rare = re.findall(r"\b[0-9a-f]{8}\b", hexword)
    return {
        "account": account,
        "cve": vuln.cve_id if vuln else "CVE-2021-44228",
        "package": vuln.package_name if vuln else "openssl",
        "ip": ip,
        "rare": rare[0] if rare else ip,
        "resource": Finding.objects.order_by("-id").values_list("resource_id", flat=True)[0],
    }


FILTERS: list[tuple[str, dict[str, str]]] = [
    ("source=macie", {"source": "macie"}),
    ("account", {"account": "{account}"}),
    ("region=eu-west-1", {"region": "eu-west-1"}),
    ("severity=critical,high", {"severity": "critical,high"}),
    ("status=acknowledged", {"status": "acknowledged"}),
    ("aws_state=archived", {"aws_state": "archived"}),
    ("category=Credentials loss", {"category": "Credentials loss"}),
    ("category=uncategorised", {"category": "uncategorised"}),
    ("type=Recon: (prefix)", {"type": "Recon:"}),
    ("open=true", {"open": "true"}),
    ("sla_breached=true", {"sla_breached": "true"}),
    ("sla_breached=false", {"sla_breached": "false"}),
    ("status=accepted", {"status": "accepted"}),
    ("remote_ip", {"remote_ip": "{ip}"}),
    ("resource_type=AWS_LAMBDA_FUNCTION", {"resource_type": "AWS_LAMBDA_FUNCTION"}),
    ("bucket=data-7", {"bucket": "data-7"}),
    ("public_access=true", {"public_access": "true"}),
    ("identity_type=Root", {"identity_type": "Root"}),
    ("sensitive_data=CREDENTIALS", {"sensitive_data": "CREDENTIALS"}),
    ("vulnerability_type=network_reachability", {"vulnerability_type": "network_reachability"}),
    ("cve", {"cve": "{cve}"}),
    ("package", {"package": "{package}"}),
    ("exploit_available=true", {"exploit_available": "true"}),
    ("fix_available=false", {"fix_available": "false"}),
    ("resource", {"resource": "{resource}"}),
    ("first_seen_after (30 days)", {"first_seen_after": "{d30}"}),
    ("first_seen_before (90 days)", {"first_seen_before": "{d90}"}),
    ("last_seen_after (7 days)", {"last_seen_after": "{d7}"}),
    ("last_seen_before (30 days)", {"last_seen_before": "{d30}"}),
    ("q= rare word", {"q": "{rare}"}),
    ("q= an IP", {"q": "{ip}"}),
    ("q= log4j (~2%)", {"q": "log4j"}),
    ("q= Bitcoin (~6%)", {"q": "Bitcoin"}),
    ("q= instance (common)", {"q": "instance"}),
    ("q= no match", {"q": "zzqxj"}),
    ("open=true&severity=critical&q=ssh", {"open": "true", "severity": "critical", "q": "ssh"}),
]
ORDERINGS = [
    "updated_at",
    "first_seen",
    "last_seen",
    "severity",
    "severity_score",
    "service_count",
    "account",
    "region",
    "type",
    "status",
    "id",
]


def _url(path: str, params: dict[str, str], samples: dict[str, str]) -> str:
    query = {k: v.format(**samples) for k, v in params.items()}
    return f"{path}?{urlencode(query)}" if query else path


def _dates() -> dict[str, str]:
    from django.utils import timezone

    now = timezone.now()
    return {f"d{days}": (now - timedelta(days=days)).date().isoformat() for days in (7, 30, 90)}


def list_figures(api: Client, *, repeat: int, quick: bool) -> list[Row]:
    samples = {**_samples(), **_dates()}
    rows = [_list_row(api, "findings/ first page (50)", f"{API}findings/", repeat)]
    for label, params in FILTERS if not quick else FILTERS[::4]:
        rows.append(
            _list_row(api, f"findings/?{label}", _url(f"{API}findings/", params, samples), repeat)
        )
    for name in ORDERINGS if not quick else ORDERINGS[:4]:
        for ordering in (name, f"-{name}"):
            url = f"{API}findings/?ordering={ordering}"
            rows.append(_list_row(api, f"findings/?ordering={ordering}", url, repeat))
    feed = f"{API}findings/?updated_since={samples['d30']}"
    rows.append(_list_row(api, "change feed (updated_since 30 days)", feed, repeat))
    for path in ("principals/", "collection-runs/", "cost-anomalies/", "budgets/", "accounts/"):
        rows.append(_list_row(api, f"{path} first page", f"{API}{path}", repeat))
    return rows


def _follow(client: Client, url: str, pages: int) -> tuple[str, int]:
    """The URL reached by following `next` up to `pages` times from `url` (fewer when the list
    ends first), and how many times it was followed."""
    followed = 0
    for _ in range(pages):
        body = _get(client, url).json()
        if not body.get("next"):
            break
        parsed = urlparse(body["next"])
        url, followed = f"{parsed.path}?{parsed.query}", followed + 1
    return url, followed


def deep_figures(api: Client, *, repeat: int, quick: bool) -> list[Row]:
    """A page reached by following `next` 1,000 times, against the first page, same list."""
    from django.utils import timezone

    depth = 100 if quick else 1000
    since = (timezone.now() - timedelta(days=365)).date().isoformat()
    lists = [
        ("findings/ (default order)", f"{API}findings/"),
        ("findings/?ordering=-last_seen", f"{API}findings/?ordering=-last_seen"),
        ("findings/?ordering=account", f"{API}findings/?ordering=account"),
        ("findings/?q=instance", f"{API}findings/?q=instance"),
        ("change feed", f"{API}findings/?updated_since={since}"),
        ("collection-runs/", f"{API}collection-runs/"),
    ]
    rows = []
    for what, first in lists if not quick else lists[:2]:
        deep, followed = _follow(api, first, depth)
        first_times, deep_times = _in_turn(api, first, deep, repeat)
        first_p95, deep_p95 = _p95(first_times), _p95(deep_times)
        ratio = deep_p95 / first_p95
        rows.append(
            _row(
                f"{what} after {followed:,} x next",
                f"p95 {deep_p95:.1f} ms",
                f"first page {first_p95:.1f} ms (in turn)",
                ratio,
                f"<= {DEEP_RATIO}x the first page",
                ratio <= DEEP_RATIO,
            )
        )
    return rows


def _in_turn(
    client: Client, first: str, second: str, repeat: int
) -> tuple[list[float], list[float]]:
    """Wall times (ms) of `repeat` requests of each URL after a warm-up, the two requested in
    turn, so that a drift of the machine (another process, PostgreSQL's autovacuum) weighs on
    both alike rather than on whichever was measured second."""
    _get(client, first), _get(client, second)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for url, out in zip((first, second), times, strict=True):
            started = time.perf_counter()
            _get(client, url)
            out.append((time.perf_counter() - started) * 1000)
    return times


def per_object_figure(api: Client, *, repeat: int) -> list[Row]:
    """The medians' difference per extra object, the two page sizes requested in turn."""
    smalls, larges = _in_turn(
        api, f"{API}findings/?page_size=50", f"{API}findings/?page_size=500", 2 * repeat
    )
    small, large = statistics.median(smalls), statistics.median(larges)
    each = (large - small) / 450 * 1000
    return [
        _row(
            "each extra object (page_size 500 vs 50)",
            f"{each:.1f} us",
            f"page of 50: {small:.1f} ms, of 500: {large:.1f} ms (in turn)",
            None,
            f"<= {PER_OBJECT_US:.0f} us",
            each <= PER_OBJECT_US,
        )
    ]


def page_figures(api: Client, pages: Client, *, repeat: int) -> list[Row]:
    rows = [
        _page_row(pages, "HTML findings page", "/findings/", repeat, LIST_P95_MS),
        _page_row(
            pages,
            "HTML findings page, open critical",
            "/findings/?open=true&severity=critical",
            repeat,
            LIST_P95_MS,
        ),
    ]
    for what, url in (
        ("overview page", "/overview/"),
        ("categories page", "/categories/"),
        ("Macie page", "/macie/"),
        ("users page", "/users/"),
        ("Inspector report page", "/inspector/"),
    ):
        rows.append(_page_row(pages, what, url, repeat, PAGE_P95_MS))
    for what, url in (
        ("summary/", f"{API}summary/"),
        ("inspector/report/", f"{API}inspector/report/"),
    ):
        rows.append(_page_row(api, what, url, repeat, PAGE_P95_MS))
    for what, url in (("Macie page", "/macie/"), ("Inspector report page", "/inspector/")):
        rows.append(_cold_row(pages, what, url, max(3, repeat // 5)))
        rows.append(_cold_row(pages, what, url, max(3, repeat // 5), triage=url[1:-1]))
    return rows


def _cold_row(client: Client, what: str, url: str, repeat: int, *, triage: str = "") -> Row:
    """A cached report page (findings.report_cache) computed afresh: what the first person to
    open it after a collection waits for. The report cache is a no-op meanwhile (the rest of the
    cache, the limiter's counters and the broker, untouched). With `triage` (a source), before
    each view one open finding of that source is resolved, untimed: the view then recomputes
    that finding's rollups first (findings.services.rollups), as after a ticketing tool's update."""
    from django.core.cache.backends.dummy import DummyCache

    from findings import report_cache

    times, real = [], report_cache.cache
    report_cache.cache = DummyCache("cold", {})
    try:
        for _ in range(repeat):
            if triage:
                _resolve_one(triage)
            started = time.perf_counter()
            _get(client, url)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        report_cache.cache = real
    warm = statistics.median(_times(client, url, repeat))
    worst = max(times)
    after = ", after a triage of one finding" if triage else ""
    return _row(
        f"{what}, computed afresh (not cached){after}",
        f"max {worst:.1f} ms of {repeat}",
        f"cached: median {warm:.1f} ms",
        worst / warm if warm else None,
        f"<= {PAGE_P95_MS:.0f} ms",
        worst <= PAGE_P95_MS,
    )


def _resolve_one(source: str) -> None:
    """One open finding of `source` resolved through the workflow service (its rollups then
    pending, as after any triage)."""
    from django.contrib.auth import get_user_model

    from findings.models import Finding
    from findings.services.workflow import finding_workflow_update

    analyst = get_user_model().objects.get(username="bench-analyst")
    finding = Finding.objects.open().filter(source=source).order_by("-id").first()
    if finding is not None:
        finding_workflow_update(finding=finding, actor=analyst, status="resolved")


# --- throughput under gunicorn --------------------------------------------------------------------


def _wait_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url}")


def _wrk(url: str, token: str | None, seconds: int) -> float:
    """Requests per second of 4 connections on 4 threads... of wrk; 2 threads on 2 cores."""
    command = ["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise AssertionError(f"wrk saw errors on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def _python_load(url: str, token: str | None, seconds: int) -> float:
    """Four threads with keep-alive connections, when wrk is not installed."""
    import http.client
    import threading

    parsed = urlparse(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    counts = [0] * 4
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
        while time.monotonic() < deadline:
            conn.request("GET", f"{parsed.path}?{parsed.query}", headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise AssertionError(f"{url}: {response.status}")
            counts[i] += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(
                    parsed.hostname or "127.0.0.1", parsed.port, timeout=10
                )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def _free_port(preferred: int) -> int:
    """`preferred` when nothing listens there, else a port the system picks (two benches or test
    runs on one machine must not measure each other's server)."""
    import socket

    for candidate in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free port on 127.0.0.1")


def throughput_figures(token: str, *, port: int, seconds: int) -> list[Row]:
    port = _free_port(port)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "",
        # The limiter still runs and is counted; its budget is raised so the load is not refused.
        "WATCHPOST_API_RATE": BENCH_RATE,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--worker-class",
            "gthread",
            "--threads",
            "1",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    load = _wrk if shutil.which("wrk") else _python_load
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(f"{base}/healthz")
        load(f"{base}{API}findings/", token, 2)  # warm every worker
        ceiling = load(f"{base}/healthz", None, seconds)
        rate = load(f"{base}{API}findings/", token, seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return [
        _row(
            "findings/ first page, 4 clients, gunicorn",
            f"{rate:.0f} req/s",
            f"/healthz {ceiling:.0f} req/s",
            rate / ceiling,
            f">= {THROUGHPUT:.0f} req/s",
            rate >= THROUGHPUT,
        )
    ]


# --- entry points ---------------------------------------------------------------------------------


def prepare(n: int) -> tuple[Any, str]:
    from django.core.management import call_command

    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL: set DATABASE_URL (see the docstring).")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest
    reads_fill.fill(n)
    _rollups()
    _raise_rate_limit()
    people = _people()
    from config.heap import freeze_after_requests, freeze_startup_heap

    freeze_startup_heap()  # as config.wsgi does in each server worker
    freeze_after_requests()
    return people


def _rollups() -> None:
    """The report rollups of what the fill wrote, computed as the collections would have (each
    when it ended): the figures then measure reading them."""
    from findings.services.rollups import rollups_flush

    started = time.perf_counter()
    keys = sum(rollups_flush(source=source) for source in ("inspector", "macie"))
    if keys:
        print(f"report rollups of {keys} keys computed in {time.perf_counter() - started:.1f} s")


def run(
    n: int,
    *,
    port: int = 8600,
    quick: bool = False,
    repeat: int | None = None,
    seconds: int | None = None,
) -> list[Row]:
    """Every read figure at `n` findings; one dict per row (what, measured, baseline, ratio,
    target, ok). At a small N (CI keeps the bench working) each figure is timed fewer times."""
    small = n < 10_000
    repeat = repeat or (3 if small else 20)
    seconds = seconds or (2 if small else 10)
    user, token = prepare(n)
    api, pages = _clients(user, token)
    steps: list[Callable[[], list[Row]]] = [
        lambda: list_figures(api, repeat=repeat, quick=quick),
        lambda: deep_figures(api, repeat=repeat, quick=quick),
        lambda: per_object_figure(api, repeat=repeat),
        lambda: page_figures(api, pages, repeat=max(5, repeat // 2)),
        lambda: throughput_figures(token, port=port, seconds=seconds),
    ]
    rows: list[Row] = []
    for step in steps:
        try:
            rows += step()
        except Exception as exc:  # a broken step is a failed row; the other figures still count
            rows.append(_row(f"(step failed) {exc!r}"[:200], "", "", None, "runs", False))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| What | Measured | Same-run baseline | Ratio | Target | OK |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        mark = "yes" if r["ok"] else "**no**"
        lines.append(
            f"| {r['what']} | {r['measured']} | {r['baseline']} | {ratio} | {r['target']} | {mark} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="findings in the database")
    parser.add_argument("--port", type=int, default=8600, help="gunicorn's port (throughput)")
    parser.add_argument("--repeat", type=int, default=None, help="requests timed per figure")
    parser.add_argument("--seconds", type=int, default=None, help="seconds of load per rate")
    parser.add_argument("--quick", action="store_true", help="a few filters and orderings only")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(args.n, port=args.port, quick=args.quick, repeat=args.repeat, seconds=args.seconds)
    from django.db import connection as conn

    print(
        f"{args.n:,} findings, PostgreSQL {conn.pg_version}, {os.cpu_count()} cores, "  # type: ignore[attr-defined]
        f"{time.perf_counter() - started:.0f} s"
    )
    print(table(rows))
    failed = [r["what"] for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} figures meet their target")


if __name__ == "__main__":
    main()
