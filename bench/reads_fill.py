"""Bench data for bench/reads.py: N findings of a realistic organisation, made in SQL.

One INSERT ... SELECT over generate_series per table (no model instance, nothing on disk), topping the
database up to N findings when it holds fewer: GuardDuty (half), Macie (a tenth) and Inspector (the
rest, each with its vulnerability row), over 40 accounts and 4 regions, every severity, AWS state,
status and category; plus what the other pages read: principals with evidence, 60 days of daily
history, Inspector coverage, collection runs, cost anomalies and budgets. Values are a deterministic
function of the row number, so two runs at the same N hold the same data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

ACCOUNTS = 40
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
FIRST_ACCOUNT = 500_000_000_000

_REGIONS_SQL = "ARRAY[" + ",".join(f"'{r}'" for r in REGIONS) + "]"

# g: the row number. Source by g % 10: 0-4 GuardDuty, 5 Macie, 6-9 Inspector.
FINDINGS = """
INSERT INTO findings_finding (
    source, source_id, account_id, region, type, title, description, severity, severity_rank,
    severity_score, native_severity, category, category_tags, status, ticket_ref, aws_state,
    service_count, first_seen, last_seen, aws_created_at, aws_updated_at, resource_type, resource_id,
    action_type, remote_ip, port, domain, country, country_code, organisation, asn, threat_list_name,
    bucket, object_key, sensitive_data, public_access, identity_type, raw, content_hash, created_at,
    updated_at)
SELECT
    k.source,
    CASE WHEN k.source = 'inspector'
         THEN 'arn:aws:inspector2:' || k.region || ':' || a.account_id || ':finding/bench-' || g
         ELSE 'bench-' || g END,
    a.id, k.region, k.type,
    replace(CASE k.source
      WHEN 'guardduty' THEN (ARRAY[
        'EC2 instance i-%s is communicating with a known malicious IP address',
        'Unusual console login by user %s from a remote location',
        'API ListBuckets was invoked from a Tor exit node by %s',
        'EC2 instance i-%s is querying a domain associated with Bitcoin mining',
        'SSH brute force attacks against i-%s',
        'Credentials of role %s were used from an IP outside AWS',
        'S3 bucket data-%s had its public access block disabled',
        'Unprotected port on EC2 instance i-%s is being probed'])[1 + g % 8]
      WHEN 'macie' THEN (ARRAY[
        'The S3 object contains personal information of customers %s',
        'The S3 bucket data-%s is publicly accessible',
        'The S3 object contains credentials such as AWS secret keys %s',
        'The S3 bucket data-%s is shared with an external account'])[1 + g % 4]
      ELSE k.cve || ' - ' || k.package END, '%s', lpad(to_hex(g * 2654435761 % 4294967296), 8, '0')),
    'Bench finding ' || g || ' in ' || k.region || '. ' || (ARRAY[
      'Traffic to a command and control server was observed over port 443.',
      'An access key was used from an unusual location and network.',
      'The package is vulnerable to remote code execution; upgrade it to the fixed version.',
      'Sensitive data of several categories was found in an object stored in a bucket.',
      'Repeated failed logins were followed by a successful one.',
      'A security group allows ingress from the whole internet on a management port.'])[1 + g % 6],
    k.severity, k.rank, k.score, k.native, k.category, '[]'::jsonb,
    (ARRAY['open','open','open','open','acknowledged','resolved','suppressed','false_positive',
           'open','open','open','acknowledged'])[1 + (g / 7) % 12],
    CASE WHEN g % 13 = 0 THEN 'JIRA-' || g ELSE '' END,
    CASE WHEN k.source = 'inspector'
         THEN (ARRAY['active','active','active','active','closed','suppressed','active'])[1 + (g / 3) % 7]
         ELSE (ARRAY['active','active','active','active','active','archived','gone'])[1 + (g / 3) % 7] END,
    1 + (g * 31) % 60,
    t.first_seen,
    CASE WHEN g % 97 = 0 THEN NULL ELSE t.first_seen + ((g * 13) % 20000) * interval '1 minute' END,
    t.first_seen, t.first_seen + interval '1 hour',
    CASE k.source WHEN 'guardduty' THEN 'Instance' WHEN 'macie' THEN 'S3Object'
         ELSE (ARRAY['AWS_EC2_INSTANCE','AWS_EC2_INSTANCE','AWS_ECR_CONTAINER_IMAGE','AWS_LAMBDA_FUNCTION'])[1 + g % 4] END,
    CASE k.source WHEN 'macie' THEN 'arn:aws:s3:::data-' || (g % 3000)
         ELSE 'i-' || lpad(to_hex(k.resource), 17, '0') END,
    CASE WHEN k.source = 'guardduty' THEN 'NETWORK_CONNECTION' ELSE '' END,
    CASE WHEN k.source = 'guardduty' THEN '198.51.' || (g % 200) || '.' || (g / 200 % 250) ELSE '' END,
    CASE WHEN k.source = 'guardduty' THEN 22 + (g % 3) * 421 END,
    '', CASE WHEN k.source = 'guardduty' THEN 'Netherlands' ELSE '' END,
    CASE WHEN k.source = 'guardduty' THEN 'NL' ELSE '' END, '', '', '',
    CASE WHEN k.source = 'macie' THEN 'data-' || (g % 3000) ELSE '' END,
    CASE WHEN k.source = 'macie' THEN 'exports/customers-' || g || '.csv' ELSE '' END,
    CASE WHEN k.source = 'macie'
         THEN jsonb_build_object((ARRAY['PERSONAL_INFORMATION','CREDENTIALS','FINANCIAL_INFORMATION'])[1 + g % 3], 1 + g % 40)
         ELSE '{}'::jsonb END,
    CASE WHEN k.source = 'macie' THEN g % 5 = 0 END,
    CASE WHEN k.source = 'macie' THEN (ARRAY['IAMUser','AssumedRole','Root'])[1 + g % 3] ELSE '' END,
    '{}'::jsonb, md5(g::text), t.first_seen,
    now() - interval '90 days' + (g::float / :rows) * interval '90 days'
FROM generate_series(:start, :rows) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids, array_agg(account_id ORDER BY account_id) AS nums
            FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
JOIN LATERAL (SELECT acc.ids[1 + (g / 10) % :accounts] AS id,
                     acc.nums[1 + (g / 10) % :accounts] AS account_id) a ON true
JOIN LATERAL (SELECT now() - ((g::bigint * 7919) % 259200) * interval '1 minute' AS first_seen) t ON true
JOIN LATERAL (SELECT
    CASE WHEN g % 10 < 5 THEN 'guardduty' WHEN g % 10 = 5 THEN 'macie' ELSE 'inspector' END AS source,
    (:regions)[1 + (g / 400) % 4] AS region,
    (g::bigint * 7919) % 100 / 10.0 AS gd_score,
    'CVE-' || (2014 + (g * 7) % 11) || '-' || (1000 + ((g * 7) / 11) % 300 + ((g::bigint * g) % 7) * 997) AS cve,
    (ARRAY['openssl','log4j-core','glibc','curl','zlib','libxml2','python3-urllib3','nginx',
           'linux-kernel','sudo','bash','openssh','expat','sqlite','jackson-databind','spring-core',
           'lodash','requests','django','pillow'])[1 + (g * 3) % 20] || '-' || ((g / 20) % 15) AS package,
    (g / 10) % (:rows / 200 + 1) AS resource
) b ON true
JOIN LATERAL (SELECT b.source, b.region, b.cve, b.package, b.resource,
    CASE b.source
      WHEN 'guardduty' THEN (ARRAY['Recon:EC2/PortProbeUnprotectedPort','UnauthorizedAccess:EC2/SSHBruteForce',
        'Discovery:S3/TorIPCaller','CryptoCurrency:EC2/BitcoinTool.B!DNS','Backdoor:EC2/C&CActivity.B',
        'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        'Policy:S3/BucketBlockPublicAccessDisabled','Recon:IAMUser/MaliciousIPCaller'])[1 + g % 8]
      WHEN 'macie' THEN (ARRAY['SensitiveData:S3Object/Personal','Policy:IAMUser/S3BucketPublic',
        'SensitiveData:S3Object/Credentials','Policy:IAMUser/S3BucketSharedExternally'])[1 + g % 4]
      ELSE (ARRAY['PACKAGE_VULNERABILITY','PACKAGE_VULNERABILITY','PACKAGE_VULNERABILITY',
        'PACKAGE_VULNERABILITY','PACKAGE_VULNERABILITY','PACKAGE_VULNERABILITY',
        'PACKAGE_VULNERABILITY','PACKAGE_VULNERABILITY','NETWORK_REACHABILITY',
        'CODE_VULNERABILITY'])[1 + (g / 10) % 10] END AS type,
    CASE b.source
      WHEN 'guardduty' THEN (CASE WHEN b.gd_score >= 9 THEN 'critical' WHEN b.gd_score >= 7 THEN 'high'
                                  WHEN b.gd_score >= 4 THEN 'medium' ELSE 'low' END)
      ELSE (ARRAY['critical','high','high','medium','medium','medium','low','low','informational','informational'])[1 + (g * 7) % 10] END AS severity,
    CASE b.source WHEN 'guardduty' THEN b.gd_score WHEN 'macie' THEN NULL
         ELSE round((((g * 7) % 10) * 0.97 + 0.5)::numeric, 1)::float END AS score,
    CASE b.source WHEN 'guardduty' THEN round(b.gd_score, 1)::text
         WHEN 'inspector' THEN (ARRAY['CRITICAL','HIGH','HIGH','MEDIUM','MEDIUM','MEDIUM','LOW','LOW','INFORMATIONAL','UNTRIAGED'])[1 + (g * 7) % 10]
         ELSE (ARRAY['High','Medium','Low'])[1 + g % 3] END AS native,
    CASE WHEN b.source = 'inspector' OR g % 9 = 0 THEN NULL
         ELSE (ARRAY['Anonymous access','Configuration compliance','Credentials loss','Data compliance',
           'File hosting','Identity enumeration','Information loss','Location anomaly',
           'Open permissions','Privilege escalation','Ransomware','Service disruption',
           'Suspicious access'])[1 + (g / 3) % 13] END AS category
) k0 ON true
JOIN LATERAL (SELECT k0.*, CASE k0.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3
    WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END AS rank) k ON true
"""

VULNERABILITIES = """
INSERT INTO findings_findingvulnerability (
    finding_id, cve_id, cvss_score, cvss_version, cvss_vector, epss_score, exploit_available,
    fix_available, package_name, package_version, fixed_in_version, package_manager, package_names,
    packages, resource_name, resource_tags, remediation, source_url)
SELECT f.id,
    CASE WHEN f.type = 'NETWORK_REACHABILITY' THEN '' WHEN f.type = 'CODE_VULNERABILITY' THEN 'CWE-' || (20 + f.id % 60)
         ELSE split_part(f.title, ' - ', 1) END,
    f.severity_score, '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN ((f.id * 37) % 1000) / 1000.0 END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN f.id % 4 = 0 END,
    CASE WHEN f.type = 'NETWORK_REACHABILITY' THEN '' ELSE (ARRAY['yes','yes','partial','no'])[1 + f.id % 4] END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN split_part(f.title, ' - ', 2) ELSE '' END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN '1.' || (f.id % 20) || '.0' ELSE '' END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN '1.' || (f.id % 20) || '.7' ELSE '' END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN 'OS' ELSE '' END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY' THEN E'\\n' || lower(split_part(f.title, ' - ', 2)) || E'\\n' ELSE '' END,
    CASE WHEN f.type = 'PACKAGE_VULNERABILITY'
         THEN jsonb_build_array(jsonb_build_object('name', split_part(f.title, ' - ', 2), 'version', '1.0', 'fixedInVersion', '1.7'))
         ELSE '[]'::jsonb END,
    'web-' || (f.id % 500), '{"team": "platform"}'::jsonb, 'Upgrade the package.', ''
FROM findings_finding f
LEFT JOIN findings_findingvulnerability v ON v.finding_id = f.id
WHERE f.source = 'inspector' AND v.finding_id IS NULL
"""

PRINCIPALS = """
INSERT INTO findings_principal (identity, identity_type, arn, name, principal_id, sessions, tier,
    tier_rule, tier_since, evidence, first_seen, last_seen, updated_at, account_id)
SELECT 'arn:aws:iam::' || a.account_id || ':' || p.kind || '/bench-' || g, p.itype,
    'arn:aws:iam::' || a.account_id || ':' || p.kind || '/bench-' || g, 'bench-' || g, 'AIDA' || g,
    CASE WHEN p.itype = 'assumed_role' THEN '["session-1","session-2"]'::jsonb ELSE '[]'::jsonb END,
    p.tier, p.rule, now() - (g % 60) * interval '1 day',
    jsonb_build_object('rule', p.rule, 'sentence', 'Bench principal ' || g,
        'events', jsonb_build_array(jsonb_build_object('event_name', 'PutBucketPolicy',
            'event_source', 's3.amazonaws.com', 'event_time', '2026-10-01T10:00:00Z',
            'region', 'us-east-1')),
        'counts', jsonb_build_object('read', g % 3000, 'write', g % 40)),
    now() - interval '90 days', now() - (g % 10000) * interval '1 minute', now(), a.id
FROM generate_series(:start, :rows) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids, array_agg(account_id ORDER BY account_id) AS nums
            FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
JOIN LATERAL (SELECT acc.ids[1 + g % :accounts] AS id, acc.nums[1 + g % :accounts] AS account_id) a ON true
JOIN LATERAL (SELECT
    (ARRAY['user','role','user','role','role','service'])[1 + g % 6] AS kind,
    (ARRAY['iam_user','assumed_role','iam_user','assumed_role','assumed_role','aws_service'])[1 + g % 6] AS itype,
    CASE WHEN g % 6 = 5 THEN NULL ELSE (ARRAY['platinum','gold','silver','bronze','bronze','silver'])[1 + g % 6] END AS tier,
    CASE WHEN g % 6 = 5 THEN 'aws_service' ELSE (ARRAY['high_risk','write','sensitive_read','other','other','read_volume'])[1 + g % 6] END AS rule
) p ON true
"""

DAILY = """
INSERT INTO findings_findingdailycount (day, source, severity, category, count, account_id)
SELECT current_date - d, s.source, sev, s.category, 1 + (d * 7 + a.id * 3) % 200, a.id
FROM generate_series(1, 60) AS d
CROSS JOIN (SELECT id FROM accounts_awsaccount WHERE name LIKE 'Bench %') a
CROSS JOIN unnest(ARRAY['critical','high','medium','low','informational']) AS sev
CROSS JOIN (VALUES ('guardduty','Credentials loss'),('guardduty','Suspicious access'),
    ('guardduty','Location anomaly'),('guardduty',''),('macie','Data compliance'),
    ('macie','Open permissions'),('inspector','')) AS s(source, category)
"""

COVERAGE = """
INSERT INTO findings_inspectorcoverage (region, resource_type, resource_id, scan_type, scanned,
    status_code, reason, scan_mode, last_scanned_at, resource_tags, collected_at, account_id)
SELECT (:regions)[1 + g % 4], (ARRAY['AWS_EC2_INSTANCE','AWS_ECR_CONTAINER_IMAGE','AWS_LAMBDA_FUNCTION'])[1 + g % 3],
    'i-' || lpad(to_hex(g), 17, '0'), 'PACKAGE', g % 10 <> 0,
    CASE WHEN g % 10 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END,
    CASE WHEN g % 10 = 0 THEN (ARRAY['NO_INVENTORY','UNMANAGED_EC2_INSTANCE','UNSUPPORTED_OS'])[1 + g % 3] ELSE 'SUCCESSFUL' END,
    'EC2_SSM_AGENT_BASED', now(), '{}'::jsonb, now(), acc.ids[1 + g % :accounts]
FROM generate_series(1, :coverage) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
"""

RUNS = """
INSERT INTO accounts_collectionrun (region, source, outcome, new, updated, unchanged, calls, error,
    "full", started_at, finished_at, account_id)
SELECT (:regions)[1 + g % 4], (ARRAY['guardduty','macie','inspector','cloudtrail','costs','budgets'])[1 + (g / 4) % 6],
    (ARRAY['ok','ok','ok','ok','ok','partial','failed','not_enabled','access_denied','skipped'])[1 + g % 10],
    g % 7, g % 5, g % 300, 1 + g % 20, '', false,
    now() - (:runs - g) * interval '1 minute', now() - (:runs - g) * interval '1 minute' + interval '20 seconds',
    acc.ids[1 + (g / 24) % :accounts]
FROM generate_series(1, :runs) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
"""

ANOMALIES = """
INSERT INTO costs_costanomaly (anomaly_id, monitor_arn, monitor_name, account_id, service, start_date,
    end_date, max_impact, total_impact, total_actual, total_expected, total_impact_percentage,
    max_score, current_score, root_causes, feedback, derived_severity, raw, content_hash, fetched_at,
    updated_at, payer_id)
SELECT 'bench-anomaly-' || g, 'arn:aws:ce::500000000000:anomalymonitor/bench', 'Bench monitor',
    acc.nums[1 + g % :accounts], (ARRAY['Amazon EC2','Amazon S3','AWS Lambda','Amazon RDS'])[1 + g % 4],
    current_date - (g % 365), current_date - (g % 365) + 2, g % 900, g % 2000, 100 + g % 2000, 100,
    CASE WHEN g % 5 = 0 THEN NULL ELSE g % 300 END, 0.5, 0.4,
    '[{"service": "Amazon EC2", "region": "us-east-1"}]'::jsonb, '',
    CASE WHEN g % 2000 >= 1000 THEN 'high' WHEN g % 2000 >= 100 THEN 'medium' ELSE 'low' END,
    '{}'::jsonb, md5(g::text), now(), now(), acc.ids[1]
FROM generate_series(1, :anomalies) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids, array_agg(account_id ORDER BY account_id) AS nums
            FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
"""

BUDGETS = """
INSERT INTO costs_budget (name, budget_type, time_unit, unit, "limit", actual, forecast,
    percent_used, status, period_start, period_end, notifications, raw, content_hash, fetched_at,
    updated_at, account_id)
SELECT 'bench-budget-' || g, 'COST', 'MONTHLY', 'USD', 1000, g % 1500, g % 1700, (g % 1500) / 10.0,
    (ARRAY['ok','warning','over','forecast_over'])[1 + g % 4], date_trunc('month', now()),
    date_trunc('month', now()) + interval '1 month', '[]'::jsonb, '{}'::jsonb, md5(g::text), now(),
    now(), acc.ids[1 + g % :accounts]
FROM generate_series(1, :budgets) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY account_id) AS ids FROM accounts_awsaccount WHERE name LIKE 'Bench %') acc
"""


def _sql(template: str, **numbers: int) -> str:
    # Integers of ours only, inlined: the SQL is full of % operators, so no parameter style.
    text = template.replace(":regions", _REGIONS_SQL)
    for name, value in sorted(numbers.items(), key=lambda item: -len(item[0])):
        text = text.replace(f":{name}", str(int(value)))
    return text


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our table names
        return int(cursor.fetchone()[0])


def _accounts() -> None:
    from accounts.models import AwsAccount

    for n in range(ACCOUNTS):
        number = f"{FIRST_ACCOUNT + n:012d}"
        AwsAccount.objects.get_or_create(
            account_id=number,
            defaults={
                "name": f"Bench {n:02d}",
                "role_arn": f"arn:aws:iam::{number}:role/WatchpostReadOnly",
                "regions": list(REGIONS),
                "is_payer": n == 0,
            },
        )


# Tables whose plain indexes are dropped while most of their rows are written, then rebuilt.
BULK_TABLES = ("findings_finding", "findings_findingvulnerability")


@contextmanager
def _indexes_rebuilt_after(rebuild: bool) -> Iterator[None]:
    """With `rebuild`, the BULK_TABLES' indexes that back no constraint are dropped and made
    again at the end (also when the fill fails): one CREATE INDEX sorts a million rows at once,
    where keeping the trigram GIN and twenty btrees up to date row by row costs several times more.
    The definitions are PostgreSQL's own (pg_get_indexdef), so the same indexes come back."""
    if not rebuild:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(BULK_TABLES)],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # a name PostgreSQL just gave
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


def fill(n: int, *, log: bool = True) -> float:
    """Tops the database up to `n` findings (and the other tables in proportion); seconds taken."""
    started = time.perf_counter()
    _accounts()
    have = _count("findings_finding")
    with connection.cursor() as cursor:
        if have < n:
            with _indexes_rebuilt_after(n - have > max(have, 50_000)):
                cursor.execute(_sql(FINDINGS, start=have + 1, rows=n, accounts=ACCOUNTS))
                cursor.execute(VULNERABILITIES)
        principals = max(200, n // 50)
        have_p = _count("findings_principal")
        if have_p < principals:
            cursor.execute(_sql(PRINCIPALS, start=have_p + 1, rows=principals, accounts=ACCOUNTS))
        if not _count("findings_findingdailycount"):
            cursor.execute(DAILY)
        if not _count("findings_inspectorcoverage"):
            cursor.execute(_sql(COVERAGE, coverage=max(100, n // 20), accounts=ACCOUNTS))
        if not _count("accounts_collectionrun"):
            cursor.execute(_sql(RUNS, runs=max(1000, n // 10), accounts=ACCOUNTS))
        if not _count("costs_costanomaly"):
            cursor.execute(_sql(ANOMALIES, anomalies=2000, accounts=ACCOUNTS))
        if not _count("costs_budget"):
            cursor.execute(_sql(BUDGETS, budgets=400, accounts=ACCOUNTS))
        if have < n:
            cursor.execute("VACUUM ANALYZE")  # autocommit: the visibility map for index-only scans
    seconds = time.perf_counter() - started
    if log and have < n:
        print(f"filled to {n:,} findings in {seconds:.1f} s")
    return seconds
