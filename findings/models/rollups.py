"""Report rollups: what the Inspector report and the Macie page count, kept per account and region.

Both reports aggregate every open finding of a source (a million Inspector findings is a real
organisation): counted live, the Inspector report took about 3 s at that size. These tables hold
the same aggregates per (account, region), so a report sums a few thousand rows instead.

How they stay exact (PostgreSQL only; SQLite, the demo's database, counts live):
- statement-level triggers on findings and vulnerabilities (migration 0013) add a RollupPending
  row for each (source, account, region) a statement touches, in the writer's transaction;
- findings.services.rollups.rollups_flush recomputes the pending keys from the findings and
  deletes their pending rows, one key at a time under a transaction-level advisory lock: the
  collection does it when it finishes an account and region, and a report does it first for
  whatever is still pending (a triage, a collection under way), so it never reads a stale key.

A recompute is a whole key's aggregate, never a delta: it can hold maxima, distinct counts and
top-N lists, and no order of writers can make it drift. `account` has no database constraint (as
FindingOpenCount): readers join the account, and deleting an account marks its keys pending.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F

from accounts.models import AwsAccount

__all__ = [
    "InspectorOpenAge",
    "InspectorOpenCell",
    "InspectorOpenCve",
    "InspectorOpenResource",
    "InspectorOpenRisk",
    "MacieOpenBucket",
    "MacieOpenSensitive",
    "RollupPending",
]


def _account() -> models.ForeignKey:
    return models.ForeignKey(
        AwsAccount, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class RollupPending(models.Model):
    """A (source, account, region) whose rollups wait for a recompute. Added by the triggers;
    deleted by the recompute. No unique constraint, so writers never wait on each other."""

    source = models.CharField(max_length=16)
    account_id = models.BigIntegerField()
    region = models.CharField(max_length=32)
    # The writer's transaction: a statement adds a key its own transaction has not added yet.
    # (Never one another transaction added: a recompute may be deleting that row right now.)
    txid = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["source", "account_id", "region"], name="rollup_pending")]

    def __str__(self) -> str:
        return f"{self.source} {self.account_id} {self.region}"


class _Keyed(models.Model):
    account = _account()
    region = models.CharField(max_length=32)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.account_id} {self.region}"


class InspectorOpenCell(_Keyed):
    """Open Inspector findings by type, report severity (UNTRIAGED apart), fix and exploit."""

    type = models.CharField(max_length=255)
    severity = models.CharField(max_length=16)
    fix_available = models.CharField(max_length=8, null=True)  # noqa: DJ001 - None: no vulnerability row
    exploit_available = models.BooleanField(null=True)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "region"], name="insp_cell_key")]


class InspectorOpenAge(_Keyed):
    """Open Inspector findings by the UTC day Inspector first observed them and report severity."""

    day = models.DateField()
    severity = models.CharField(max_length=16)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "region"], name="insp_age_key")]


class InspectorOpenResource(_Keyed):
    """One resource with open Inspector findings: counts by report severity, its worst CVE."""

    resource_id = models.CharField(max_length=1024)
    resource_type = models.CharField(max_length=64)
    resource_name = models.CharField(max_length=255)
    critical = models.IntegerField()
    high = models.IntegerField()
    medium = models.IntegerField()
    low = models.IntegerField()
    informational = models.IntegerField()
    untriaged = models.IntegerField()
    total = models.IntegerField()
    worst_score = models.FloatField(null=True)
    worst_cve = models.CharField(max_length=128)

    class Meta:
        indexes = [
            models.Index(fields=["account", "region"], name="insp_resource_key"),
            # The worst resources first (findings.inspector.report: RESOURCES_SHOWN of them).
            models.Index(
                F("critical").desc(),
                F("high").desc(),
                F("medium").desc(),
                F("low").desc(),
                F("informational").desc(),
                F("untriaged").desc(),
                F("total").desc(),
                "resource_id",
                name="insp_resource_worst",
            ),
        ]


class InspectorOpenCve(_Keyed):
    """One CVE of open package-vulnerability findings: resources, findings, worst and best facts."""

    cve_id = models.CharField(max_length=128)
    resources = models.IntegerField()
    findings = models.IntegerField()
    worst = models.IntegerField()  # the report's severity rank (UNTRIAGED -1)
    score = models.FloatField(null=True)
    epss = models.FloatField(null=True)
    exploit = models.IntegerField()  # findings with a known exploit
    fix = models.IntegerField()  # findings with a fix (yes or partial)

    class Meta:
        indexes = [models.Index(fields=["account", "region"], name="insp_cve_key")]


class InspectorOpenRisk(_Keyed):
    """The top risks of one key, in the report's order (enough to merge any scope's top)."""

    finding_id = models.BigIntegerField()
    score = models.FloatField()  # -1 for none: last in descending order, on any database
    epss = models.FloatField()
    no_exploit = models.IntegerField()  # 0 when a known exploit, else 1
    rank = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "region"], name="insp_risk_key"),
            models.Index(
                F("score").desc(),
                F("epss").desc(),
                "no_exploit",
                F("rank").desc(),
                "finding_id",
                name="insp_risk_order",
            ),
        ]


class MacieOpenBucket(_Keyed):
    """One bucket with open Macie findings: how many, exposed or not, sensitive data found."""

    bucket = models.CharField(max_length=255)
    findings = models.IntegerField()
    public = models.BooleanField()
    shared = models.BooleanField()
    worst = models.IntegerField()  # severity rank
    sensitive = models.JSONField(default=dict)  # type -> occurrences

    class Meta:
        indexes = [models.Index(fields=["account", "region"], name="macie_bucket_key")]


class MacieOpenSensitive(_Keyed):
    """One sensitive data type in open Macie findings: occurrences and findings."""

    type = models.TextField()  # a key of Macie's sensitive data, as AWS names it
    occurrences = models.BigIntegerField()
    findings = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "region"], name="macie_sensitive_key")]
