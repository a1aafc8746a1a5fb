"""The report rollups (findings.models.rollups) give what counting the findings gives, after any
write: collection, triage, a changed vulnerability, AWS archiving, an account deleted."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.http import QueryDict

from findings.categories.report import macie_report_for_user, macie_report_from_rows
from findings.inspector import kept
from findings.inspector import report as inspector
from findings.models import InspectorOpenCell, RollupPending
from findings.records import FindingRecord, VulnerabilityRecord
from findings.selectors import finding_list_for_user
from findings.services import finding_upsert_many
from findings.services.rollups import rollups_flush
from findings.services.workflow import finding_workflow_update
from tests.conftest import bearer_client

pytestmark = pytest.mark.usefixtures("postgres")
REGIONS = ("us-east-1", "eu-west-1")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED")
TYPES = ("PACKAGE_VULNERABILITY", "NETWORK_REACHABILITY", "CODE_VULNERABILITY")
HOSTILE = "'; DROP TABLE findings_finding; --<script>"


def inspector_record(rng: random.Random, n: int, account: str, region: str) -> FindingRecord:
    """An Inspector finding with every fact the report counts drawn at random, ties included
    (scores, EPSS, resources and CVEs repeat; a resource id recurs across regions)."""
    kind = rng.choice(TYPES)
    first = datetime.now(UTC) - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
    vulnerability = None
    if kind != "NETWORK_REACHABILITY" or rng.random() < 0.2:
        vulnerability = VulnerabilityRecord(
            cve_id=rng.choice(("CVE-2021-44228", "CVE-2023-44487", "GHSA-abcd-1234", "", HOSTILE)),
            epss_score=rng.choice((None, 0.0, 0.31, 0.97)),
            exploit_available=rng.choice((None, True, False)),
            fix_available=rng.choice(("", "yes", "no", "partial")),
            package_name=rng.choice(("openssl", "log4j-core")),
            resource_name=rng.choice(("", "web-01", "db-01")),
        )
    return FindingRecord(
        source="inspector",
        source_id=f"arn:aws:inspector2:{region}:{account}:finding/{n}",
        account_id=account,
        region=region,
        type=kind,
        title=f"finding {n}",
        description="",
        severity_score=rng.choice((None, 9.8, 9.8, 7.5, 5.0, 2.1)),
        native_severity=rng.choice(SEVERITIES),
        aws_state=rng.choice(("active", "active", "active", "suppressed")),
        first_seen=first,
        last_seen=first + timedelta(hours=1),
        aws_updated_at=first + timedelta(hours=1),
        resource_type=rng.choice(("AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE")),
        resource_id=rng.choice(("i-1", "i-2", "repo/app:sha256", "i-3", HOSTILE)),
        vulnerability=vulnerability,
    )


def store(records: list[FindingRecord], accounts: dict[str, Any]) -> None:
    for account_id in {r.account_id for r in records}:
        mine = [r for r in records if r.account_id == account_id]
        finding_upsert_many(records=mine, default_account=accounts[account_id])


@pytest.fixture
def org(account_a, account_b) -> list[FindingRecord]:
    rng = random.Random(13)
    accounts = {a.account_id: a for a in (account_a, account_b)}
    records = [
        inspector_record(rng, n, rng.choice(list(accounts)), rng.choice(REGIONS))
        for n in range(240)
    ]
    store(records, accounts)
    return records


def sections(source: inspector.Sections) -> dict[str, Any]:
    today = inspector._today()
    return {
        "cells": sorted(source.cells(), key=repr),
        "resources_open": source.resource_count(),
        "top_risks": source.top_risks(),
        "top_cves": source.top_cves(),
        "ages": sorted(source.age_days(today)),
        "resources": source.resources(),
    }


def assert_kept_equals_live(user: Any, **params: str) -> dict[str, Any]:
    filters = inspector.report_filters(QueryDict(mutable=True) | params)
    findings = inspector._open_findings(user=user, filters=filters)
    assert kept.rollups_hold(filters, findings)
    rows = sections(kept.KeptSections(user=user, filters=filters, findings=findings))
    assert rows == sections(inspector.LiveSections(findings))
    return rows


VIEWS = ({}, {"region": "eu-west-1"}, {"account": "222222222222"})


def test_the_kept_report_equals_the_counted_one_for_every_scope_and_filter(org, alice, bob):
    whole = assert_kept_equals_live(alice)
    assert whole["resources_open"] > 5 and len(whole["top_cves"]) == 4  # the hostile id is one
    assert {r["resource_id"] for r in whole["resources"]} >= {"i-1", "repo/app:sha256"}
    for params in VIEWS:
        assert_kept_equals_live(alice, **params)
        assert_kept_equals_live(bob, **params)  # bob: account_a only
    assert not RollupPending.objects.exists()  # the reports recomputed every pending key


def test_every_kind_of_write_is_followed(org, alice, bob, account_a, account_b):
    from findings.models import Finding

    assert_kept_equals_live(alice)
    # triage: resolved and false positive leave the report; acknowledged stays
    for finding, status in zip(
        Finding.objects.filter(source="inspector", status="open")[:6],
        ("resolved", "false_positive", "acknowledged") * 2,
        strict=True,
    ):
        finding_workflow_update(finding=finding, actor=alice, status=status)
    assert_kept_equals_live(alice)
    # AWS changes vulnerabilities (fix, exploit, CVE) and archives some findings
    rng = random.Random(7)
    accounts = {a.account_id: a for a in (account_a, account_b)}
    changed = [inspector_record(rng, n, r.account_id, r.region) for n, r in enumerate(org[:80])]
    store(changed, accounts)
    for params in VIEWS:
        assert_kept_equals_live(alice, **params)
    # an account deleted takes its findings and its rollups with it
    gone = account_b.pk
    assert InspectorOpenCell.objects.filter(account_id=gone).exists()
    account_b.delete()
    assert_kept_equals_live(alice)
    assert_kept_equals_live(bob)
    assert not InspectorOpenCell.objects.filter(account_id=gone).exists()


def test_the_report_api_answers_from_the_rollups_and_filters_beyond_them_count_live(org, alice):
    client = bearer_client(alice)
    kept_report = client.get("/api/v1/inspector/report/").json()
    assert kept_report["totals"]["open"] == sum(kept_report["by_severity"].values())
    # a severity filter is beyond the rollups: counted live, and it agrees with the kept cells
    critical = client.get("/api/v1/inspector/report/", {"severity": "critical"}).json()
    assert critical["totals"]["open"] == kept_report["by_severity"]["critical"]
    hostile = client.get("/api/v1/inspector/report/", {"region": HOSTILE})
    assert hostile.status_code == 400 and "region" in hostile.json()


def test_each_age_bucket_links_to_exactly_its_findings(org, alice):
    client = bearer_client(alice)
    data = client.get("/api/v1/inspector/report/").json()
    assert sum(b["total"] for b in data["age"]["buckets"]) == data["totals"]["open"]
    for bucket in data["age"]["buckets"]:
        params = {"source": "inspector", "open": "true", **inspector.age_bounds(bucket)}
        listed = client.get("/api/v1/findings/", {**params, "page_size": 1}).json()
        assert listed["count"] == bucket["total"], bucket["bucket"]


def test_ages_are_whole_utc_days():
    today = datetime(2026, 3, 10, tzinfo=UTC).date()
    week = {"min_days": 0, "max_days": 7}
    assert inspector.age_bounds(week, today=today) == {
        "first_seen_before": "2026-03-10T23:59:59.999999+00:00",
        "first_seen_after": "2026-03-03T00:00:00+00:00",
    }
    old = {"min_days": 181, "max_days": None}
    assert inspector.age_bounds(old, today=today) == {
        "first_seen_before": "2025-09-10T23:59:59.999999+00:00"  # 181 days before
    }


def test_a_flush_recomputes_each_pending_key_once(org, account_a, account_b):
    keys = set(RollupPending.objects.values_list("account_id", "region"))
    assert len(keys) == RollupPending.objects.count() == 4  # once per key, however many writes
    mine = {k for k in keys if k[0] == account_a.pk}
    assert rollups_flush(source="inspector", accounts=[account_a.pk]) == len(mine)
    assert set(RollupPending.objects.values_list("account_id", "region")) == keys - mine
    assert rollups_flush(source="inspector") == len(keys - mine)
    assert rollups_flush(source="inspector") == 0
    assert rollups_flush(source="guardduty") == 0  # GuardDuty has no rollups


def test_the_macie_page_follows_every_write(alice, bob, store, account_a, account_b):
    from tests.findings.categories.test_pages import SHARED, macie_record

    store(account_a, **macie_record("shared", public_access=False, type=SHARED))
    store(account_a, **macie_record(HOSTILE, sensitive_data={"FINANCIAL": 2, HOSTILE: 1}))
    exposed = store(account_b, **macie_record("open", sensitive_data={"PII": 7}))
    store(account_b, **macie_record("", public_access=None))

    def same(user: Any) -> list[str]:
        findings = finding_list_for_user(user=user).open().filter(source="macie").order_by()
        report = macie_report_for_user(user=user)
        assert report == macie_report_from_rows(findings, 10)
        return [b["bucket"] for b in report.exposed_buckets]

    assert same(alice) == ["open", HOSTILE, "shared"]  # the most sensitive data first
    assert same(bob) == [HOSTILE, "shared"]  # bob: account_a only
    finding_workflow_update(finding=exposed, actor=alice, status="resolved")
    assert same(alice) == [HOSTILE, "shared"]


@pytest.mark.django_db(transaction=True)
def test_keys_committed_by_writers_wait_for_the_next_report(account_a, alice):
    """Each stored chunk commits its pending key; nothing recomputes it until a report (or the
    collection's end) does, and that report reads the findings committed so far."""
    rng = random.Random(5)
    records = [inspector_record(rng, n, account_a.account_id, "us-east-1") for n in range(30)]
    store(records, {account_a.account_id: account_a})
    assert set(RollupPending.objects.values_list("account_id", "region")) == {
        (account_a.pk, "us-east-1")
    }
    assert_kept_equals_live(alice)
    assert not RollupPending.objects.exists()


def test_the_csv_counts_ages_as_the_report_does(org, alice, client):
    import csv
    import io

    client.force_login(alice)
    data = bearer_client(alice).get("/api/v1/inspector/report/").json()
    response = client.get("/inspector/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    ages = [int(r["age_days"]) for r in rows if r["age_days"]]
    for bucket in data["age"]["buckets"]:
        high = bucket["max_days"] if bucket["max_days"] is not None else 10**6
        assert sum(bucket["min_days"] <= a <= high for a in ages) == bucket["total"]
