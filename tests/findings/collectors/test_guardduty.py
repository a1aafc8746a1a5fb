"""The GuardDuty collector alone: AWS's payloads become records, pages and batches as AWS allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounts.aws import AwsGateway, ServiceNotEnabled
from findings.collectors import guardduty
from findings.records import aws_time
from tests.conftest import emulate_member

SAMPLES = (
    Path(__file__).resolve().parents[3] / "aws_emulator" / "data" / "guardduty_get_findings.json"
)


@pytest.fixture
def samples() -> list[dict]:
    return json.loads(SAMPLES.read_text())["Findings"]


def test_every_sample_becomes_a_record_with_its_payload_verbatim(samples):
    for payload in samples:
        record = guardduty.finding_record(payload)
        assert record.source == "guardduty" and record.source_id == payload["Id"]
        assert record.raw == payload
        assert record.severity_score == payload["Severity"]
        assert record.aws_state == ("archived" if payload["Service"]["Archived"] else "active")
        assert record.service_count == payload["Service"]["Count"]
        assert record.first_seen is None or record.first_seen.tzinfo is not None
        assert record.resource_type == payload["Resource"]["ResourceType"]
        assert record.resource_id, payload["Type"]


def test_an_api_call_finding_keeps_ip_country_and_organisation(samples):
    record = guardduty.finding_record(samples[0])
    assert record.action_type == "AWS_API_CALL"
    assert (record.remote_ip, record.country, record.country_code) == (
        "203.0.113.45",
        "Netherlands",
        "NL",
    )
    assert (record.organisation, record.asn) == ("EXAMPLE-HOSTING-AS", "64496")
    assert record.resource_id == "AKIAQEXAMPLEACCESS1"
    assert record.first_seen == datetime(2024, 5, 14, 9, 12, 45, 128000, tzinfo=UTC)


def test_a_network_connection_keeps_its_local_port(samples):
    record = guardduty.finding_record(samples[1])
    assert (record.action_type, record.port, record.resource_id) == (
        "NETWORK_CONNECTION",
        22,
        "i-0abc123def4567890",
    )


def test_a_dns_finding_keeps_its_domain(samples):
    dns = next(p for p in samples if p["Service"]["Action"]["ActionType"] == "DNS_REQUEST")
    assert (
        guardduty.finding_record(dns).domain
        == dns["Service"]["Action"]["DnsRequestAction"]["Domain"]
    )


def test_a_port_probe_keeps_port_and_remote_ip(samples):
    probe = next(p for p in samples if p["Service"]["Action"]["ActionType"] == "PORT_PROBE")
    record = guardduty.finding_record(probe)
    detail = probe["Service"]["Action"]["PortProbeAction"]["PortProbeDetails"][0]
    assert record.port == detail["LocalPortDetails"]["Port"]
    assert record.remote_ip == detail["RemoteIpDetails"]["IpAddressV4"]


def test_a_malformed_time_is_none_not_an_error():
    assert aws_time("2024-05--2T19:12:45.128Z") is None
    assert aws_time("2024-05-14T09:12:45Z") == datetime(2024, 5, 14, 9, 12, 45, tzinfo=UTC)


def test_boto3_timestamps_in_the_payload_are_kept_as_iso_text():
    created = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    payload = {
        "Id": "x",
        "Resource": {
            "ResourceType": "S3Bucket",
            "S3BucketDetails": [{"Name": "b", "CreatedAt": created}],
        },
    }
    record = guardduty.finding_record(payload)
    assert record.raw["Resource"]["S3BucketDetails"][0]["CreatedAt"] == "2024-05-01T08:00:00+00:00"
    assert record.resource_id == "b"


def test_a_minimal_payload_does_not_break_the_parser():
    record = guardduty.finding_record({"Id": "x", "Severity": 9.0, "Service": {}})
    assert (record.source_id, record.severity_score, record.remote_ip, record.port) == (
        "x",
        9.0,
        "",
        None,
    )
    assert record.first_seen is None and record.aws_state == "active"


def test_the_hash_changes_with_any_field_and_only_then(samples):
    a = guardduty.finding_record(samples[0])
    assert (
        a.content_hash()
        == guardduty.finding_record(json.loads(json.dumps(samples[0]))).content_hash()
    )
    changed = json.loads(json.dumps(samples[0]))
    changed["Service"]["AdditionalInfo"]["Value"] = '{"x": 1}'
    assert guardduty.finding_record(changed).content_hash() != a.content_hash()


@pytest.fixture
def client(db, emulator, aws_world, account_a):
    emulate_member(aws_world, account_a)
    return AwsGateway().for_account(account_a, "guardduty", "us-east-1")


def test_no_detector_raises_service_not_enabled(client):
    with pytest.raises(ServiceNotEnabled):
        guardduty.detector_id(client)


def test_ids_come_in_pages_of_at_most_50_and_findings_in_batches_of_50(client, aws_world, emulator):
    state = aws_world.guardduty("222222222222", "us-east-1")
    made = [state.add_finding()["Id"] for _ in range(101)]
    detector = guardduty.detector_id(client)
    pages = list(guardduty.finding_id_pages(client, detector))
    assert [len(p) for p in pages] == [50, 50, 1]
    records = list(guardduty.findings_get(client, detector, [i for p in pages for i in p]))
    assert sorted(r.source_id for r in records) == sorted(made)
    gets = [c for c in emulator.calls if c.operation == "GetFindings"]
    assert [len(c.params["FindingIds"]) for c in gets] == [50, 50, 1]


def test_archived_ids_only_lists_archived_findings(client, aws_world):
    state = aws_world.guardduty("222222222222", "us-east-1")
    ids = [state.add_finding()["Id"] for _ in range(3)]
    state.archive(ids[:2])
    assert guardduty.archived_finding_ids(client, guardduty.detector_id(client)) == set(ids[:2])


def test_ids_aws_no_longer_has_are_skipped(client, aws_world):
    state = aws_world.guardduty("222222222222", "us-east-1")
    kept = state.add_finding()["Id"]
    records = list(guardduty.findings_get(client, guardduty.detector_id(client), [kept, "f" * 32]))
    assert [r.source_id for r in records] == [kept]
