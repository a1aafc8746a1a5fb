"""Inspector collection against the emulator: every finding once (ARN as id), banded by its label,
closed and suppressed states followed, a DISABLED account not_enabled, coverage kept, filters."""

import copy
import json
from pathlib import Path

import pytest

from findings.models import Finding, FindingVulnerability, InspectorCoverage
from tests.conftest import bearer_client, emulate_member
from tests.findings.conftest import collect

DATA = Path(__file__).resolve().parents[2] / "aws_emulator" / "data"
PROD, STAGING = "222222222222", "333333333333"


def sample(title_prefix: str) -> dict:
    """A finding of the recorded-shape samples, without the ids the emulator fills in."""
    findings = json.loads((DATA / "inspector2_list_findings.json").read_text())["findings"]
    chosen = copy.deepcopy(next(f for f in findings if f["title"].startswith(title_prefix)))
    for key in ("findingArn", "awsAccountId"):
        chosen.pop(key, None)
    return chosen


def coverage_samples() -> list[dict]:
    return json.loads((DATA / "inspector2_list_coverage.json").read_text())["coveredResources"]


@pytest.fixture
def insp_org(db, emulator, aws_world, account_a, account_b):
    """account_a with Inspector on in us-east-1; account_b with Inspector DISABLED."""
    for account in (account_a, account_b):
        emulate_member(aws_world, account)
    aws_world.inspector2(PROD, "us-east-1").enable()
    return aws_world


def lines(*args):
    return collect("--source", "inspector", *args)


def line(result, account=PROD, region="us-east-1"):
    return result[(account, region, "inspector")]


def test_disabled_inspector_is_not_enabled_never_clean(insp_org, emulator):
    result = lines()
    assert line(result, STAGING)[0] == "not_enabled"
    assert "DISABLED" in " ".join(line(result, STAGING))
    assert line(result)[0] == "ok"
    assert emulator.count(service="inspector2", operation="ListFindings", account_id=STAGING) == 0


def test_a_missing_permission_is_access_denied(insp_org, emulator):
    emulator.inject("inspector2", "BatchGetAccountStatus", "AccessDeniedException", account_id=PROD)
    assert line(lines())[0] == "access_denied"


def test_every_finding_once_over_short_pages_with_the_arn_as_id(insp_org, emulator, alice):
    state = insp_org.inspector2(PROD, "us-east-1")
    arns = {
        state.add_finding(sample("CVE-2021-44228"), title=f"finding {n}")["findingArn"]
        for n in range(60)
    }
    result = lines()
    assert line(result)[:2] == ["ok", "new=60"]
    listed = [c for c in emulator.calls if c.operation == "ListFindings" and "findingArn" not in
              c.params.get("filterCriteria", {}) and len(c.params["filterCriteria"]["findingStatus"]) == 3]  # fmt: skip
    assert len(listed) == 3  # 25 a page whatever maxResults says: follow nextToken
    assert all(c.params["maxResults"] == 100 for c in listed)
    statuses = {f["value"] for f in listed[0].params["filterCriteria"]["findingStatus"]}
    assert statuses == {"ACTIVE", "SUPPRESSED", "CLOSED"}
    body = (
        bearer_client(alice)
        .get("/api/v1/findings/", {"source": "inspector", "page_size": 500})
        .json()
    )
    assert sorted(r["source_id"] for r in body["results"]) == sorted(arns)
    again = line(lines())
    assert again[:3] == ["ok", "new=0", "updated=0"]  # a rerun writes nothing


def test_severity_band_with_untriaged_kept_and_vulnerability_fields(insp_org, alice):
    state = insp_org.inspector2(PROD, "us-east-1")
    log4j = state.add_finding(sample("CVE-2021-44228"))
    state.add_finding(sample("CVE-2024-99999"))
    state.add_finding(sample("Port range 22"))
    state.add_finding(sample("CWE-798"))
    lines()
    finding = Finding.objects.get(source_id=log4j["findingArn"])
    assert (finding.severity, finding.native_severity, finding.severity_score) == (
        "critical",
        "CRITICAL",
        10.0,
    )
    assert (finding.type, finding.resource_type) == (
        "PACKAGE_VULNERABILITY",
        "AWS_ECR_CONTAINER_IMAGE",
    )
    assert finding.first_seen and finding.last_seen and finding.first_seen < finding.last_seen
    vuln = finding.vulnerability
    assert vuln.cve_id == "CVE-2021-44228"
    assert (vuln.cvss_score, vuln.cvss_version) == (10.0, "3.1")
    assert vuln.epss_score == pytest.approx(0.97)
    assert (vuln.exploit_available, vuln.fix_available) == (True, "yes")
    assert (vuln.package_name, vuln.package_version, vuln.fixed_in_version) == (
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "2.15.0",
    )
    assert vuln.resource_name == "orders-api:1.4.2"
    untriaged = Finding.objects.get(native_severity="UNTRIAGED")
    assert untriaged.severity == "informational" and untriaged.vulnerability.epss_score is None
    network = Finding.objects.get(type="NETWORK_REACHABILITY")
    assert network.vulnerability.resource_tags == {"Name": "web-01"}
    assert network.vulnerability.resource_name == "web-01"
    code = Finding.objects.get(type="CODE_VULNERABILITY")
    assert (code.resource_type, code.vulnerability.cve_id) == ("AWS_LAMBDA_FUNCTION", "CWE-798")
    assert code.account.account_id == PROD
    detail = bearer_client(alice).get(f"/api/v1/findings/{untriaged.pk}/").json()
    assert (detail["severity"], detail["native_severity"]) == ("informational", "UNTRIAGED")
    assert detail["vulnerability"]["vulnerability_type"] == "package_vulnerability"
    listed = bearer_client(alice).get("/api/v1/findings/", {"cve": "cve-2021-44228"}).json()
    assert listed["results"][0]["vulnerability"]["epss_score"] == pytest.approx(0.97)
    assert listed["results"][0]["vulnerability"]["inspector_score"] == 10.0


def test_a_finding_closed_in_aws_shows_closed_after_the_next_collect(insp_org, alice):
    state = insp_org.inspector2(PROD, "us-east-1")
    added = state.add_finding(sample("CVE-2021-44228"))
    lines()
    insp_org.clock.advance(600)
    state.update_finding(added["findingArn"], status="CLOSED")
    assert line(lines())[:3] == ["ok", "new=0", "updated=1"]
    body = bearer_client(alice).get("/api/v1/findings/", {"source": "inspector"}).json()
    assert [r["aws_state"] for r in body["results"]] == ["closed"]
    assert Finding.objects.get().status == "open"  # AWS's state never overwrites ours
    assert not Finding.objects.open().exists()


def test_a_suppression_that_keeps_updated_at_is_caught_by_the_sweep(insp_org):
    state = insp_org.inspector2(PROD, "us-east-1")
    added = state.add_finding(sample("CVE-2023-44487"))
    insp_org.clock.advance(3600)
    state.add_finding(sample("CVE-2021-44228"), updatedAt=insp_org.clock())  # moves the cursor on
    lines()
    state.update_finding(added["findingArn"], touch=False, status="SUPPRESSED")
    lines()  # the sweep ran on the first pass: not due yet
    finding = Finding.objects.get(source_id=added["findingArn"])
    assert finding.aws_state == "active"
    insp_org.clock.advance(3600 * 7)
    from accounts.models import SyncCursor

    cursor = SyncCursor.objects.get(source="inspector")
    cursor.state = {**cursor.state, "archived_swept_at": "2000-01-01T00:00:00+00:00"}
    cursor.save()
    lines()
    finding.refresh_from_db()
    assert finding.aws_state == "suppressed"


def test_coverage_is_kept_with_the_reason_and_replaced_each_run(insp_org):
    state = insp_org.inspector2(PROD, "us-east-1")
    for resource in coverage_samples():
        state.add_coverage(resource)
    lines()
    rows = InspectorCoverage.objects.filter(account__account_id=PROD)
    assert rows.count() == len(coverage_samples())
    stopped = rows.get(resource_id="i-0aaaabbbbccccdddd")
    assert (stopped.scanned, stopped.reason) == (False, "EC2_INSTANCE_STOPPED")
    assert rows.get(resource_id="i-0abc123def4567890").resource_tags == {"Name": "web-01"}
    state.coverage = state.coverage[:2]
    lines()
    assert rows.count() == 2


def test_inspector_filters(insp_org, alice):
    state = insp_org.inspector2(PROD, "us-east-1")
    log4j = sample("CVE-2021-44228")
    log4j["packageVulnerabilityDetails"]["vulnerablePackages"].append(
        {"name": "libssl3", "version": "3.0.2", "packageManager": "OS"}
    )
    state.add_finding(log4j)
    state.add_finding(sample("CVE-2019-1010022"))  # fix YES, exploit NO
    state.add_finding(sample("CVE-2024-99999"))  # fix NO
    state.add_finding(sample("Port range 22"))
    lines()
    client = bearer_client(alice)

    def titles(**params):
        body = client.get("/api/v1/findings/", params).json()
        return sorted(r["title"].split(" - ")[0] for r in body["results"])

    assert titles(cve="CVE-2021-44228") == ["CVE-2021-44228"]
    assert titles(package="libssl3") == ["CVE-2021-44228"]  # any of its packages
    assert titles(package="libssl") == []  # whole names only
    assert titles(exploit_available="true") == ["CVE-2021-44228"]
    assert titles(fix_available="true") == ["CVE-2019-1010022", "CVE-2021-44228"]
    assert titles(fix_available="false") == ["CVE-2024-99999"]
    assert titles(vulnerability_type="network_reachability") == ["Port range 22"]
    for bad in ({"fix_available": "maybe"}, {"vulnerability_type": "cis"}, {"cve": "x y"}):
        response = client.get("/api/v1/findings/", bad)
        assert response.status_code == 400 and next(iter(bad)) in response.json()


def test_charlie_sees_no_inspector_finding(insp_org, charlie):
    insp_org.inspector2(PROD, "us-east-1").add_finding(sample("CVE-2021-44228"))
    lines()
    body = bearer_client(charlie).get("/api/v1/findings/", {"source": "inspector"}).json()
    assert body["results"] == []


def test_other_sources_hash_as_before():
    """Adding the vulnerability to the record must not rewrite every GuardDuty or Macie finding:
    without one, the hash is the one of the record's fields before it existed."""
    import hashlib
    from dataclasses import asdict

    from tests.findings.conftest import record

    rec = record()
    fields = asdict(rec)
    del fields["vulnerability"]
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
    )
    assert rec.content_hash() == hashlib.sha256(canonical.encode()).hexdigest()


def test_inspector_findings_hash_as_with_asdict():
    """The store reads a vulnerability's fields without dataclasses.asdict's deep copies: the
    hash of every recorded Inspector finding is the one of the whole record as asdict gives it,
    so no stored finding is rewritten by the change."""
    import hashlib
    from dataclasses import asdict

    from aws_emulator.seed.templates import load
    from findings.collectors.inspector import finding_record

    records = [finding_record(item) for item in load("inspector2_list_findings.json")["findings"]]
    assert records and all(r.vulnerability is not None for r in records)
    for rec in records:
        fields = asdict(rec)
        canonical = json.dumps(
            fields, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False
        )
        assert rec.content_hash() == hashlib.sha256(canonical.encode()).hexdigest()


def test_every_inspector_finding_of_the_demo_once(db, emulator, alice):
    from aws_emulator import Emulator, demo_world
    from tests.factories import AwsAccountFactory

    emulator.stop()
    world = demo_world()
    accounts = ("111111111111", PROD, STAGING, "444444444444")
    with Emulator(world):
        for account_id in accounts:
            AwsAccountFactory(
                account_id=account_id,
                external_id="watchpost-demo-external-id",
                regions=["us-east-1", "eu-west-1"],
            )
        result = lines()
        assert line(result, STAGING)[0] == "not_enabled"
        served = {
            arn
            for a in accounts
            for r in ("us-east-1", "eu-west-1")
            for arn in world.inspector2(a, r).findings
        }
        body = (
            bearer_client(alice)
            .get("/api/v1/findings/", {"source": "inspector", "page_size": 500})
            .json()
        )
        assert sorted(r["source_id"] for r in body["results"]) == sorted(served)
        stored = Finding.objects.filter(source="inspector")
        assert set(stored.values_list("native_severity", flat=True)) == {
            "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED"
        }  # fmt: skip
        assert set(stored.values_list("type", flat=True)) == {
            "PACKAGE_VULNERABILITY", "NETWORK_REACHABILITY", "CODE_VULNERABILITY"
        }  # fmt: skip
        assert set(stored.values_list("aws_state", flat=True)) == {"active", "suppressed", "closed"}
        assert FindingVulnerability.objects.count() == stored.count()


def test_the_finding_page_shows_the_vulnerability(insp_org, client, alice):
    insp_org.inspector2(PROD, "us-east-1").add_finding(sample("CVE-2024-99999"))
    lines()
    client.force_login(alice)
    body = client.get(f"/findings/{Finding.objects.get().pk}/").content.decode()
    assert 'id="vulnerability"' in body and 'id="untriaged"' in body
    assert "examplelib" in body and "CVE-2024-99999" in body
