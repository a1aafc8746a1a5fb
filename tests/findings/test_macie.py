"""Macie collection against the emulator: every finding once, banded by label, categorised."""

import copy
import json
from pathlib import Path

import pytest

from findings.models import Finding
from tests.conftest import bearer_client, emulate_member
from tests.findings.conftest import collect

SAMPLES = Path(__file__).resolve().parents[2] / "aws_emulator" / "data" / "macie2_get_findings.json"


def sample(finding_type: str) -> dict:
    findings = json.loads(SAMPLES.read_text())["findings"]
    chosen = next(f for f in findings if f["type"] == finding_type)
    chosen = copy.deepcopy(chosen)
    for key in ("id", "accountId", "region", "createdAt", "updatedAt"):
        chosen.pop(key, None)
    return chosen


@pytest.fixture
def macie_org(db, emulator, aws_world, account_a, account_b):
    for account in (account_a, account_b):
        emulate_member(aws_world, account)
    aws_world.macie(account_a.account_id, "us-east-1").enable()
    return aws_world


def macie_lines(*args):
    return collect("--source", "macie", *args)


def line(lines, account, region="us-east-1"):
    return lines[(account, region, "macie")]


def test_macie_off_is_not_enabled_and_a_missing_permission_is_access_denied(macie_org, emulator):
    lines = macie_lines()
    assert line(lines, "333333333333")[0] == "not_enabled"
    assert "Macie is not enabled" in " ".join(line(lines, "333333333333"))
    emulator.inject(
        "macie2",
        "GetMacieSession",
        "AccessDeniedException",
        account_id="222222222222",
        message="User is not authorized to perform: macie2:GetMacieSession",
    )
    assert line(macie_lines(), "222222222222")[0] == "access_denied"


def test_every_finding_once_over_pages_of_50_and_batches_of_50(macie_org, emulator):
    state = macie_org.macie("222222222222", "us-east-1")
    for n in range(120):
        state.add_finding(sample("SensitiveData:S3Object/Personal"), title=f"finding {n}")
    lines = macie_lines()
    assert line(lines, "222222222222")[:2] == ["ok", "new=120"]
    assert Finding.objects.filter(source="macie").count() == 120
    gets = [c for c in emulator.calls if c.operation == "GetFindings"]
    assert [len(c.params["findingIds"]) for c in gets] == [50, 50, 20]
    lists = [c for c in emulator.calls if c.service == "macie2" and c.operation == "ListFindings"]
    assert all(c.params["maxResults"] <= 50 for c in lists)
    again = line(macie_lines(), "222222222222")
    assert again[:3] == ["ok", "new=0", "updated=0"]  # the overlap re-reads some, writes none


def test_fields_severity_and_category_of_credentials_in_a_public_bucket(macie_org, alice):
    state = macie_org.macie("222222222222", "us-east-1")
    finding = sample("SensitiveData:S3Object/Credentials")
    finding["resourcesAffected"]["s3Bucket"]["publicAccess"]["effectivePermission"] = "PUBLIC"
    finding["severity"] = {"description": "High", "score": 3}
    state.add_finding(finding)
    state.add_finding(
        sample("Policy:IAMUser/S3BlockPublicAccessDisabled"),
        severity={"description": "Low", "score": 1},
    )
    macie_lines()
    creds = Finding.objects.get(type="SensitiveData:S3Object/Credentials")
    assert (creds.severity, creds.native_severity, creds.severity_score) == ("high", "High", 3.0)
    assert creds.category == "Credentials loss"
    assert set(creds.category_tags) == {"Data compliance", "Open permissions", "Information loss"}
    assert creds.public_access is True
    assert creds.bucket and creds.object_key
    assert creds.sensitive_data.get("CREDENTIALS", 0) > 0
    policy = Finding.objects.get(type="Policy:IAMUser/S3BlockPublicAccessDisabled")
    assert (policy.severity, policy.category) == ("low", "Open permissions")
    assert policy.identity_type
    body = bearer_client(alice).get("/api/v1/findings/", {"source": "macie"}).json()
    assert {r["category"] for r in body["results"]} == {"Credentials loss", "Open permissions"}


def test_an_update_is_picked_up_and_an_archive_shows(macie_org):
    state = macie_org.macie("222222222222", "us-east-1")
    added = state.add_finding(sample("SensitiveData:S3Object/Financial"))
    macie_lines()
    macie_org.clock.advance(60)
    state.update_finding(added["id"], count=4, archived=True)
    lines = macie_lines()
    assert line(lines, "222222222222")[2] == "updated=1"
    finding = Finding.objects.get()
    assert (finding.service_count, finding.aws_state) == (4, "archived")


def test_every_macie_type_of_the_demo_is_collected_once_with_its_category(
    db, emulator, monkeypatch
):
    from accounts.models import AwsAccount
    from aws_emulator import Emulator, demo_world
    from tests.factories import AwsAccountFactory

    emulator.stop()
    world = demo_world()
    with Emulator(world) as emu:
        for account_id in ("111111111111", "222222222222", "333333333333", "444444444444"):
            AwsAccountFactory(
                account_id=account_id,
                external_id="watchpost-demo-external-id",
                regions=["us-east-1", "eu-west-1"],
            )
        macie_lines()
        stored = Finding.objects.filter(source="macie")
        served = sum(
            len(world.macie(a, r).findings)
            for a in ("111111111111", "222222222222", "333333333333", "444444444444")
            for r in ("us-east-1", "eu-west-1")
        )
        assert stored.count() == served
        assert {f.type for f in stored} >= {
            "SensitiveData:S3Object/Credentials",
            "SensitiveData:S3Object/Multiple",
            "Policy:IAMUser/S3BucketReplicatedExternally",
        }
        assert stored.filter(category="Credentials loss", public_access=True).exists()
        uncategorised = sorted({f.type for f in stored.filter(category__isnull=True)})
        assert uncategorised == [], uncategorised
        assert emu.count(service="macie2") > 0
    assert AwsAccount.objects.count() == 4


def test_macie_filters(macie_org, alice):
    state = macie_org.macie("222222222222", "us-east-1")
    public = sample("SensitiveData:S3Object/Credentials")
    public["resourcesAffected"]["s3Bucket"]["publicAccess"]["effectivePermission"] = "PUBLIC"
    state.add_finding(public)
    state.add_finding(sample("Policy:IAMUser/S3BlockPublicAccessDisabled"))
    macie_lines()
    client = bearer_client(alice)
    creds = Finding.objects.get(type="SensitiveData:S3Object/Credentials")
    policy = Finding.objects.get(type__startswith="Policy:")

    def found(**params):
        return {r["id"] for r in client.get("/api/v1/findings/", params).json()["results"]}

    assert found(public_access="true") == {creds.pk, policy.pk}  # both buckets are public
    assert found(public_access="true", source="macie", type="SensitiveData:") == {creds.pk}
    assert found(sensitive_data="credentials") == {creds.pk}
    assert found(bucket=creds.bucket) >= {creds.pk}
    assert found(identity_type=policy.identity_type) == {policy.pk}
    assert client.get("/api/v1/findings/", {"public_access": "maybe"}).status_code == 400
