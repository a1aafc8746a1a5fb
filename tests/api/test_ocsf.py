"""OCSF that consumers parse: every exported record is a valid Detection Finding for Prowler's OCSF
models (py-ocsf-models), with a consistent activity and status, whatever its source, state and
workflow status, and AWS's strings come back exactly as AWS wrote them."""

from __future__ import annotations

import json
from itertools import product

import pytest
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from findings.choices import AwsState, FindingSource, FindingStatus
from findings.models import Finding
from tests.conftest import bearer_client

EXPORT = "/api/v1/findings/export/"
STATES = {
    FindingSource.GUARDDUTY: (AwsState.ACTIVE, AwsState.ARCHIVED, AwsState.GONE),
    FindingSource.MACIE: (AwsState.ACTIVE, AwsState.ARCHIVED, AwsState.GONE),
    FindingSource.INSPECTOR: (
        AwsState.ACTIVE,
        AwsState.SUPPRESSED,
        AwsState.CLOSED,
        AwsState.GONE,
    ),
}
HOSTILE = 'Ünïcode <script>alert("x")</script> & \' "; DROP TABLE -- \u2028\t=cmd|x!A1 ${jndi:x}'
# OCSF 1.3 finding status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved
# (https://schema.ocsf.io/1.3.0/classes/detection_finding).
CLOSED_STATUS_IDS = {3, 4}


def ocsf_export(user) -> list[dict]:
    response = bearer_client(user).get(EXPORT, {"format": "ocsf"})
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def every_kind(store, account_a, account_b):
    """A finding of every source, AWS state and workflow status; hostile strings from AWS, and a
    hostile account name."""
    account_a.name = HOSTILE[:100]
    account_a.save()
    findings = []
    for source, states in STATES.items():
        for state, status in product(states, FindingStatus.values):
            finding = store(
                account_a if len(findings) % 2 else account_b,
                source=source,
                aws_state=state,
                title=f"{HOSTILE} {source} {state} {status}",
                description=HOSTILE,
                resource_id=f"arn:aws:s3:::{HOSTILE[:20]}",
                type="Policy:S3/BucketBlockPublicAccessDisabled" if source == "macie" else "x",
            )
            Finding.objects.filter(pk=finding.pk).update(status=status)
            findings.append(finding)
    return findings


def test_every_exported_record_parses_with_py_ocsf_models(alice, every_kind):
    records = ocsf_export(alice)
    assert len(records) == len(every_kind) == (3 + 3 + 4) * len(FindingStatus.values)
    for record in records:
        parsed = DetectionFinding.model_validate(record)
        assert parsed.cloud is not None and parsed.cloud.account is not None
        assert parsed.cloud.account.uid in {"222222222222", "333333333333"}
        assert parsed.cloud.account.name
        for resource in parsed.resources or []:
            assert resource.owner is not None
            assert resource.owner.uid == parsed.cloud.account.uid
            assert resource.owner.name == parsed.cloud.account.name


def test_cloud_account_and_resource_owner_carry_the_accounts_name(alice, every_kind):
    by_account = {r["cloud"]["account"]["uid"]: r for r in ocsf_export(alice)}
    assert by_account["222222222222"]["cloud"]["account"]["name"] == HOSTILE[:100]
    assert by_account["333333333333"]["cloud"]["account"]["name"] == "Staging"
    owner = by_account["333333333333"]["resources"][0]["owner"]
    assert (owner["uid"], owner["name"]) == ("333333333333", "Staging")


def test_activity_and_status_pair_consistently(alice, every_kind):
    records = ocsf_export(alice)
    for record in records:
        ours = record["unmapped"]["watchpost"]
        closed = record["status_id"] in CLOSED_STATUS_IDS
        assert (record["activity_id"] == 3) == closed, record
        assert record["type_uid"] == 200400 + record["activity_id"]
        assert ours["is_open"] is (not closed), record
        assert (
            record["status"]
            == {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}[record["status_id"]]
        )
    pairs = {
        (r["unmapped"]["watchpost"]["status"], r["unmapped"]["watchpost"]["aws_state"]): (
            r["activity_id"],
            r["status_id"],
        )
        for r in records
    }
    assert pairs[("open", "active")][1] == 1
    assert pairs[("acknowledged", "active")] == (2, 2)
    assert pairs[("open", "archived")] == (3, 3)  # archived in AWS: suppressed there
    assert pairs[("open", "closed")] == (3, 4)  # Inspector closed: remediated
    assert pairs[("open", "gone")] == (3, 4)
    assert pairs[("false_positive", "active")] == (3, 3)
    assert pairs[("resolved", "active")] == (3, 4)
    assert pairs[("suppressed", "suppressed")] == (3, 3)


def test_hostile_strings_round_trip_exactly(alice, every_kind):
    for record in ocsf_export(alice):
        parsed = DetectionFinding.model_validate(record)
        assert parsed.finding_info.title.startswith(HOSTILE)
        assert parsed.finding_info.desc == HOSTILE
        assert parsed.resources[0].uid == f"arn:aws:s3:::{HOSTILE[:20]}"


def test_bob_exports_only_his_accounts_records_and_charlie_none(bob, charlie, every_kind):
    assert {r["cloud"]["account"]["uid"] for r in ocsf_export(bob)} == {"222222222222"}
    assert ocsf_export(charlie) == []
