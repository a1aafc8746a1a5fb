"""Bench: the manager's report (reports/) at N findings, against the findings list in the same run.

The report counts open findings by severity, new, resolved, SLA breaches, time to resolve, expiring
acceptances, spend and anomalies: each in SQL. Its baseline is what a person already pays for one
number of it: `findings/?open=true` (a page and its count) on the same data, in the same run.

    createdb -h 127.0.0.1 -U postgres watchpost_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/report.py [--n 1000000] [--repeat 10]

Data: bench/reads_fill.py's N findings over 40 accounts, plus an OU tree (4 OUs of 10 accounts,
one nested), a resolving event for 2% of the findings spread over 60 days, and 60 days of cost of
10 services per account.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

RATIO_MAX = 5.0  # the whole report may cost at most 5 findings lists
P95_MS = 1000.0

EVENTS = """
INSERT INTO findings_findingevent (finding_id, kind, at, actor_name, changes)
SELECT f.id, 'status_changed', now() - ((f.id % 60) || ' days')::interval - interval '1 hour', 'bench',
       '{"status": ["open", "resolved"]}'::jsonb
FROM findings_finding f WHERE f.id % 50 = 0
  AND NOT EXISTS (SELECT 1 FROM findings_findingevent e WHERE e.finding_id = f.id AND e.actor_name = 'bench')
"""
RESOLVE = (
    "UPDATE findings_finding SET status = 'resolved' WHERE id % 50 = 0 AND status <> 'resolved'"
)
COSTS = """
INSERT INTO costs_costdaily (payer_id, day, account_id, service, amount, unit, estimated, fetched_at)
SELECT (SELECT id FROM accounts_awsaccount WHERE is_payer ORDER BY id LIMIT 1), current_date - d,
       a.account_id, 'Service ' || s, (d * 13 + s * 7) % 500 + 0.25, 'USD', false, now()
FROM generate_series(0, 59) d CROSS JOIN generate_series(1, 10) s
CROSS JOIN (SELECT account_id FROM accounts_awsaccount WHERE name LIKE 'Bench %') a
ON CONFLICT DO NOTHING
"""


def prepare(n: int) -> tuple[object, str]:
    """Django on PostgreSQL, N findings, the OU tree, resolutions and costs; a person and token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/report.py runs on PostgreSQL only: set DATABASE_URL (see its docstring).")
    call_command("migrate", verbosity=0)
    from bench import reads, reads_fill

    reads_fill.fill(n)
    _tree()
    with connection.cursor() as cursor:
        for sql in (EVENTS, RESOLVE, COSTS, "ANALYZE"):
            cursor.execute(sql)
    return reads._people()


def _tree() -> None:
    from accounts.models import AwsAccount, OrganizationalUnit

    if OrganizationalUnit.objects.filter(ou_id="r-bnch").exists():
        return
    root = OrganizationalUnit.objects.create(ou_id="r-bnch", name="Root", path="r-bnch/")
    parent = root
    accounts = list(AwsAccount.objects.filter(name__startswith="Bench ").order_by("account_id"))
    for i in range(4):
        ou_id = f"ou-bnch-unit{i:04d}"
        unit = OrganizationalUnit.objects.create(
            ou_id=ou_id, name=f"Unit {i}", parent=parent, path=f"{parent.path}{ou_id}/"
        )
        AwsAccount.objects.filter(pk__in=[a.pk for a in accounts[i * 10 : i * 10 + 10]]).update(
            ou=unit
        )
        parent = unit if i == 1 else root  # Unit 2 sits under Unit 1


def _times(client: object, url: str, repeat: int) -> list[float]:
    out = []
    for i in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code} {response.content[:300]!r}")
        if i:  # the first is a warm-up
            out.append((time.perf_counter() - started) * 1000)
    return out


def run(n: int, *, repeat: int) -> list[dict[str, object]]:
    """One row per report variant: its p95, the list's p95 in the same run, and their ratio."""
    from django.test import Client

    from bench.reads import _p95

    _user, token = prepare(n)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    baseline = _p95(_times(api, "/api/v1/findings/?open=true", repeat))
    rows = []
    for what, query in (
        ("reports/, every account, week", "period=week"),
        ("reports/, every account, month", "period=month"),
        ("reports/, an OU and its sub-OUs, month", "ou=ou-bnch-unit0001&period=month"),
        ("reports/, one account, month", "account=500000000003&period=month"),
    ):
        p95 = _p95(_times(api, f"/api/v1/reports/?{query}", repeat))
        ratio = p95 / baseline if baseline else 0.0
        rows.append(
            {
                "what": what,
                "measured": f"p95 {p95:.0f} ms",
                "baseline": f"findings/?open=true p95 {baseline:.0f} ms",
                "ratio": round(ratio, 2),
                "target": f"<= {RATIO_MAX:.0f}x the list, p95 <= {P95_MS:.0f} ms",
                "ok": ratio <= RATIO_MAX and p95 <= P95_MS,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = run(args.n, repeat=args.repeat)
    print(f"N = {args.n:,} findings, {os.cpu_count()} cores, {time.perf_counter() - started:.0f} s")
    print("| What | Measured | Same-run baseline | Ratio | Target | OK |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        ok = "yes" if r["ok"] else "**no**"
        print(
            f"| {r['what']} | {r['measured']} | {r['baseline']} | {r['ratio']} | {r['target']} | {ok} |"
        )
    print(f"median ratio {statistics.median(float(str(r['ratio'])) for r in rows):.2f}")
    sys.exit(0 if all(r["ok"] for r in rows) else 1)


if __name__ == "__main__":
    main()
