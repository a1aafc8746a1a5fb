"""The demo world's data files and every answer built from them satisfy botocore's models."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from aws_emulator import Emulator, demo_world
from aws_emulator.models import operation_model
from aws_emulator.seed import ACCOUNTS, EXTERNAL_ID, REGIONS, ROLE_NAME
from aws_emulator.seed.templates import DATA_DIR, load
from aws_emulator.validation import check_output

# data file -> (service, operation whose output shape it holds)
DATA_FILES = {
    "guardduty_get_findings.json": ("guardduty", "GetFindings"),
    "macie2_get_findings.json": ("macie2", "GetFindings"),
    "inspector2_list_findings.json": ("inspector2", "ListFindings"),
    "inspector2_list_coverage.json": ("inspector2", "ListCoverage"),
    "ce_get_anomalies.json": ("ce", "GetAnomalies"),
    "ce_get_anomaly_monitors.json": ("ce", "GetAnomalyMonitors"),
}


def test_every_data_file_is_listed() -> None:
    assert {p.name for p in Path(DATA_DIR).glob("*.json")} == set(DATA_FILES)


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_data_file_matches_botocore_output_shape(name: str) -> None:
    service, operation = DATA_FILES[name]
    data = load(name)
    if service == "inspector2" and operation == "ListFindings":
        data = {"findings": data["findings"][:25]}  # the model caps one page at 25
    assert check_output(operation_model(service, operation).output_shape, data) == []


def _session(account: str, region: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}",
        RoleSessionName="seed-check",
        ExternalId=EXTERNAL_ID,
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def _all(client, method: str, key: str, **kwargs) -> list:
    return [i for p in client.get_paginator(method).paginate(**kwargs) for i in p[key]]


def test_demo_world_answers_every_collector_call(monkeypatch: pytest.MonkeyPatch) -> None:
    world = demo_world()
    with Emulator(world) as emu:
        orgs = boto3.client("organizations")
        assert [a["Id"] for a in _all(orgs, "list_accounts", "Accounts")] == list(ACCOUNTS)
        counts: dict[str, int] = {}
        for account in ACCOUNTS:
            for region in REGIONS:
                s = _session(account, region)
                gd = s.client("guardduty")
                for detector in gd.list_detectors()["DetectorIds"]:
                    ids = _all(gd, "list_findings", "FindingIds", DetectorId=detector)
                    for i in range(0, len(ids), 50):
                        gd.get_findings(DetectorId=detector, FindingIds=ids[i : i + 50])
                    counts[f"gd {account} {region}"] = len(ids)
                macie = s.client("macie2")
                try:
                    macie.get_macie_session()
                except macie.exceptions.AccessDeniedException as denied:
                    assert "Macie is not enabled" in str(denied)
                else:
                    ids = _all(macie, "list_findings", "findingIds")
                    if ids:
                        macie.get_findings(findingIds=ids[:50])
                insp = s.client("inspector2")
                insp.batch_get_account_status()
                _all(insp, "list_findings", "findings")
                _all(insp, "list_coverage", "coveredResources")
                world.clock.advance(1)  # CloudTrail allows 2 lookups a second
                _all(s.client("cloudtrail"), "lookup_events", "Events")
            s = _session(account, "us-east-1")
            s.client("budgets").describe_budgets(AccountId=account)
        assert counts["gd 222222222222 us-east-1"] == 120
        assert "gd 333333333333 eu-west-1" not in counts
        assert emu.count(service="sts", operation="AssumeRole") == 12


def test_seed_is_deterministic_for_a_frozen_instant() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    one, two = demo_world(now=at), demo_world(now=at)
    assert (
        one.guardduty("222222222222", "us-east-1").findings
        == two.guardduty("222222222222", "us-east-1").findings
    )
    assert one.ce("111111111111").costs == two.ce("111111111111").costs


def test_seed_has_every_band_and_hostile_strings() -> None:
    world = demo_world()
    findings = list(world.guardduty("222222222222", "us-east-1").findings.values())
    severities = [f["Severity"] for f in findings]
    assert min(severities) < 4 and max(severities) >= 9
    assert any(f["Type"] == "AttackSequence:IAM/CompromisedCredentials" for f in findings)
    text = repr(findings)
    assert "<script>alert(1)</script>" in text and "=HYPERLINK(" in text and "onerror=" in text
    assert any(f["Service"]["Archived"] for f in findings)
