"""Bench: the findings page's keyset pages and capped count against OFFSET pages and COUNT(*).

Run on PostgreSQL (SQLite's planner tells nothing about production):

    createdb -h 127.0.0.1 -U postgres watchpost_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/findings_list.py [--rows 1000000] [--depth 10000]

It migrates the database, fills it once with `--rows` findings by one INSERT ... SELECT over
generate_series (skipped when they are there already), then, for a few of the page's sort orders
and filters, times in this one run: page `--depth` (of 50 rows) read by Django's Paginator (COUNT(*)
over the filtered set, then OFFSET) against the same page read by findings.keyset (the capped count,
then the rows after the previous page's last row). It prints the times and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from findings.keyset import count_capped, cursor_encode, keys_of, keyset_page  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import AwsAccount  # noqa: E402
from accounts.services import person_set_access  # noqa: E402
from findings.models import Finding  # noqa: E402
from findings.selectors import finding_list_for_user  # noqa: E402

PAGE = 50
ACCOUNTS = 20

FILL = """
INSERT INTO findings_finding (
    source, source_id, account_id, region, type, title, description, severity, severity_rank,
    severity_score, native_severity, category, category_tags, status, ticket_ref, aws_state,
    service_count, first_seen, last_seen, resource_type, resource_id, action_type, remote_ip,
    domain, country, country_code, organisation, asn, threat_list_name, bucket, object_key,
    sensitive_data, identity_type, raw, content_hash, created_at, updated_at)
SELECT 'guardduty', 'bench' || g, a.id, 'us-east-1',
       (ARRAY['Recon:EC2/PortProbeUnprotectedPort','UnauthorizedAccess:EC2/SSHBruteForce',
              'Discovery:S3/MaliciousIPCaller','CryptoCurrency:EC2/BitcoinTool.B!DNS'])[1 + g % 4],
       'Finding ' || g, 'Bench finding number ' || g,
       (ARRAY['critical','high','medium','low'])[1 + s.band],
       4 - s.band, s.score, s.score::text, NULL, '[]'::jsonb,
       CASE WHEN g % 7 = 0 THEN 'resolved' ELSE 'open' END, '',
       CASE WHEN g % 11 = 0 THEN 'archived' ELSE 'active' END,
       1 + g % 50,
       now() - (g % 86400) * interval '1 minute',
       CASE WHEN g % 97 = 0 THEN NULL ELSE now() - (g % 43200) * interval '1 minute' END,
       'Instance', 'i-' || lpad(to_hex(g), 17, '0'), 'NETWORK_CONNECTION',
       '198.51.100.' || (g % 250), '', '', '', '', '', '', '', '', '{}'::jsonb, '',
       '{}'::jsonb, md5(g::text), now(), now()
FROM generate_series(1, :rows) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_awsaccount
            WHERE name LIKE 'Bench %') acc
JOIN LATERAL (SELECT acc.ids[1 + g % :accounts] AS id) a ON true
JOIN LATERAL (SELECT (g::bigint * 7919) % 100 / 10.0 AS score) r ON true
JOIN LATERAL (SELECT CASE WHEN r.score >= 9 THEN 0 WHEN r.score >= 7 THEN 1
                          WHEN r.score >= 4 THEN 2 ELSE 3 END AS band, r.score) s ON true
"""


def fill(rows: int) -> None:
    if Finding.objects.filter(source_id__startswith="bench").count() >= rows:
        return
    Finding.objects.filter(source_id__startswith="bench").delete()
    for n in range(ACCOUNTS):
        AwsAccount.objects.get_or_create(
            account_id=f"{500000000000 + n:012d}",
            defaults={
                "name": f"Bench {n}",
                "role_arn": f"arn:aws:iam::{500000000000 + n:012d}:role/R",
            },
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Integers of ours only: no parameter style needed (and the SQL is full of % operators).
        cursor.execute(FILL.replace(":rows", str(int(rows))).replace(":accounts", str(ACCOUNTS)))
        cursor.execute("ANALYZE findings_finding")
    print(f"filled {rows:,} findings in {time.perf_counter() - started:.1f} s")


def timed(run: Callable[[], object], repeat: int = 5) -> tuple[float, int]:
    """Median wall time in ms of `run` (after one warm-up), and the queries it made."""
    run()
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries)


def compare(user: object, filters: dict[str, str], depth: int) -> None:
    findings = finding_list_for_user(user=user, filters=filters).defer("raw")
    depth = max(2, min(depth, findings.count() // PAGE // 2))  # a deep page that exists
    keys = keys_of(findings)
    # The position of the last row of page depth-1, as the Next link of that page carries it.
    before = findings[(depth - 1) * PAGE - 1]
    cursor = cursor_encode(before, keys, direction="n")

    def offset_page() -> object:
        page = Paginator(findings, PAGE).page(depth)
        return list(page.object_list), page.paginator.num_pages

    def keyset() -> object:
        return keyset_page(findings, cursor=cursor, size=PAGE).rows, count_capped(findings)

    assert [f.pk for f in offset_page()[0]] == [f.pk for f in keyset()[0]], "pages differ"
    naive, naive_q = timed(offset_page)
    ours, ours_q = timed(keyset)
    first, _q = timed(
        lambda: (keyset_page(findings, cursor=None, size=PAGE).rows, count_capped(findings))
    )
    label = "&".join(f"{k}={v}" for k, v in filters.items())
    print(
        f"{label:<40} page {depth:>6}: OFFSET+COUNT {naive:8.1f} ms ({naive_q} q)  "
        f"keyset+capped {ours:7.1f} ms ({ours_q} q)  ratio {naive / ours:6.1f}x  "
        f"(keyset page 1: {first:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=10_000, help="the page number to read")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL: set DATABASE_URL (see the docstring).")
    call_command("migrate", verbosity=0)
    fill(args.rows)
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-analyst")
    person_set_access(actor=None, user=user, role=Role.ANALYST, all_accounts=True, accounts=[])
    print(
        f"{Finding.objects.count():,} findings; {PAGE} a page; PostgreSQL {connection.pg_version}"
    )
    depth = min(args.depth, args.rows // PAGE // 2)
    for filters in (
        {"ordering": "-severity"},
        {"ordering": "-last_seen"},
        {"ordering": "-service_count"},
        {"ordering": "-severity", "severity": "high,critical"},
        {"ordering": "-last_seen", "open": "true"},
    ):
        compare(user, filters, depth)
    compare(user, {"ordering": "-severity"}, 2)


if __name__ == "__main__":
    main()
