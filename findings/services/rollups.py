"""The one writer of the report rollups (findings.models.rollups): recompute the pending keys.

A key is (source, account, region). Its recompute deletes the key's rollup rows and writes them
again from the key's open findings, in one transaction that holds a transaction-level advisory
lock on the key: two recomputes of one key never interleave, and the second, which waited, finds
no pending row left and does nothing. A recompute reads only committed findings (and its own
transaction's); a writer that commits later leaves its own pending row, so the key is recomputed
again. The pending rows it deletes are those it saw before it read the findings, never later ones.

Definitions are those of the live reports, which remain for filters the rollups do not hold
(findings.inspector.report, findings.categories.report; tests check both agree): open is AWS's
active state with our status open or acknowledged; the report's severity puts Inspector's
UNTRIAGED apart; a resource is (account, region, resource id); ages are in UTC days.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from findings.categories import SHARED_TYPES
from findings.choices import OPEN_STATUSES, AwsState, FindingSource, VulnerabilityType
from findings.models import (
    InspectorOpenAge,
    InspectorOpenCell,
    InspectorOpenCve,
    InspectorOpenResource,
    InspectorOpenRisk,
    MacieOpenBucket,
    MacieOpenSensitive,
    RollupPending,
)

__all__ = ["RISKS_KEPT", "rollups_flush"]

RISKS_KEPT = 20  # per key: any scope's top risks are among its keys' top RISKS_KEPT
_LOCK_CLASS = 0x5750  # the first key of pg_advisory_xact_lock(int, int) for these locks

_OPEN = (
    f"f.aws_state = '{AwsState.ACTIVE.value}' AND f.status IN "
    f"({', '.join(repr(str(s)) for s in OPEN_STATUSES)})"
)
_KEY = "f.account_id = %(account)s AND f.region = %(region)s"
# Top risks: highest Inspector score first; then EPSS, a known exploit, severity, id.
_RISK_ORDER = "score DESC NULLS LAST, COALESCE(epss, 0) DESC, no_exploit, rank DESC, id"

# Our constants only; the key is a parameter.
_INSPECTOR = f"""
WITH o AS MATERIALIZED (
    SELECT f.id, f.type, f.severity_score AS score, f.first_seen, f.resource_id, f.resource_type,
           CASE WHEN UPPER(f.native_severity) = 'UNTRIAGED' THEN 'untriaged' ELSE f.severity END
               AS sev,
           CASE WHEN UPPER(f.native_severity) = 'UNTRIAGED' THEN -1 ELSE f.severity_rank END
               AS rank,
           CASE WHEN v.exploit_available THEN 0 ELSE 1 END AS no_exploit,
           v.cve_id, v.fix_available, v.exploit_available, v.epss_score AS epss, v.resource_name
    FROM findings_finding f LEFT JOIN findings_findingvulnerability v ON v.finding_id = f.id
    WHERE f.source = 'inspector' AND {_KEY} AND {_OPEN}
), cells AS (
    INSERT INTO findings_inspectoropencell
        (account_id, region, type, severity, fix_available, exploit_available, n)
    SELECT %(account)s, %(region)s, type, sev, fix_available, exploit_available, COUNT(*)
    FROM o GROUP BY type, sev, fix_available, exploit_available
), ages AS (
    INSERT INTO findings_inspectoropenage (account_id, region, day, severity, n)
    SELECT %(account)s, %(region)s, (first_seen AT TIME ZONE 'UTC')::date AS day, sev, COUNT(*)
    FROM o WHERE first_seen IS NOT NULL GROUP BY day, sev
), resources AS (
    INSERT INTO findings_inspectoropenresource
        (account_id, region, resource_id, resource_type, resource_name, critical, high, medium,
         low, informational, untriaged, total, worst_score, worst_cve)
    SELECT %(account)s, %(region)s, resource_id, MAX(resource_type),
           COALESCE(MAX(resource_name), ''),
           COUNT(*) FILTER (WHERE sev = 'critical'), COUNT(*) FILTER (WHERE sev = 'high'),
           COUNT(*) FILTER (WHERE sev = 'medium'), COUNT(*) FILTER (WHERE sev = 'low'),
           COUNT(*) FILTER (WHERE sev = 'informational'),
           COUNT(*) FILTER (WHERE sev = 'untriaged'), COUNT(*), MAX(score),
           COALESCE((ARRAY_AGG(cve_id ORDER BY {_RISK_ORDER}) FILTER (WHERE cve_id <> ''))[1], '')
    FROM o GROUP BY resource_id
), cves AS (
    INSERT INTO findings_inspectoropencve
        (account_id, region, cve_id, resources, findings, worst, score, epss, exploit, fix)
    SELECT %(account)s, %(region)s, cve_id, COUNT(DISTINCT resource_id), COUNT(*), MAX(rank),
           MAX(score), MAX(epss) FILTER (WHERE epss > 0),
           COUNT(*) FILTER (WHERE exploit_available),
           COUNT(*) FILTER (WHERE fix_available IN ('yes', 'partial'))
    FROM o WHERE type = '{VulnerabilityType.PACKAGE_VULNERABILITY.aws}' AND cve_id <> ''
    GROUP BY cve_id
)
INSERT INTO findings_inspectoropenrisk
    (account_id, region, finding_id, score, epss, no_exploit, rank)
SELECT %(account)s, %(region)s, id, COALESCE(score, -1), COALESCE(epss, 0), no_exploit, rank
FROM o ORDER BY {_RISK_ORDER} LIMIT {RISKS_KEPT}
"""  # noqa: S608

_SHARED = ", ".join(repr(t) for t in SHARED_TYPES)
_MACIE = f"""
WITH o AS MATERIALIZED (
    SELECT f.bucket, f.type, f.severity_rank, f.public_access,
           CASE WHEN jsonb_typeof(f.sensitive_data) = 'object' THEN f.sensitive_data END AS data
    FROM findings_finding f
    WHERE f.source = 'macie' AND {_KEY} AND {_OPEN}
), kinds AS (
    SELECT o.bucket, e.key, e.value::numeric AS n FROM o, jsonb_each_text(o.data) e
), sensitive AS (
    INSERT INTO findings_macieopensensitive (account_id, region, type, occurrences, findings)
    SELECT %(account)s, %(region)s, key, SUM(n)::bigint, COUNT(*) FROM kinds GROUP BY key
), found AS (
    SELECT bucket, jsonb_object_agg(key, total) AS sensitive
    FROM (SELECT bucket, key, SUM(n)::bigint AS total FROM kinds GROUP BY bucket, key) k
    GROUP BY bucket
)
INSERT INTO findings_macieopenbucket
    (account_id, region, bucket, findings, public, shared, worst, sensitive)
SELECT %(account)s, %(region)s, o.bucket, COUNT(*), BOOL_OR(COALESCE(o.public_access, false)),
       BOOL_OR(o.type IN ({_SHARED})), MAX(o.severity_rank),
       COALESCE((ARRAY_AGG(found.sensitive))[1], '{{}}'::jsonb)
FROM o LEFT JOIN found ON found.bucket = o.bucket
WHERE o.bucket <> '' GROUP BY o.bucket
"""  # noqa: S608

_TABLES = {
    FindingSource.INSPECTOR.value: (
        InspectorOpenCell,
        InspectorOpenAge,
        InspectorOpenResource,
        InspectorOpenCve,
        InspectorOpenRisk,
    ),
    FindingSource.MACIE.value: (MacieOpenBucket, MacieOpenSensitive),
}
_RECOMPUTE = {FindingSource.INSPECTOR.value: _INSPECTOR, FindingSource.MACIE.value: _MACIE}


def rollups_flush(*, source: str, accounts: Iterable[int] | None = None) -> int:
    """Recompute the pending keys of `source` (of the accounts with these primary keys, when
    given); returns how many keys this call recomputed. Does nothing on SQLite (no rollups)."""
    if connection.vendor != "postgresql" or source not in _TABLES:
        return 0
    pending = RollupPending.objects.filter(source=source)
    if accounts is not None:
        pending = pending.filter(account_id__in=list(accounts))
    keys = sorted(set(pending.values_list("account_id", "region")))
    return sum(_recompute(source, account, region) for account, region in keys)


def _recompute(source: str, account: int, region: str) -> bool:
    """One key's rollups from its findings; False when another recompute did it meanwhile."""
    key: dict[str, str | int] = {"source": source, "account": account, "region": region}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [_LOCK_CLASS, f"{source}:{account}:{region}"],
        )
        cursor.execute(
            "DELETE FROM findings_rolluppending "
            "WHERE source = %(source)s AND account_id = %(account)s AND region = %(region)s",
            key,
        )
        if not cursor.rowcount:
            return False
        for model in _TABLES[source]:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} "  # noqa: S608 - our table names
                "WHERE account_id = %(account)s AND region = %(region)s",
                key,
            )
        cursor.execute(_RECOMPUTE[source], key)
    return True
