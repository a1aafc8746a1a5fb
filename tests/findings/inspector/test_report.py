"""The Inspector report: its numbers, scope (fails closed), downloads, API and query count."""

import csv
import io
import json

import pytest

from tests.conftest import bearer_client
from tests.findings.test_inspector import PROD, STAGING, coverage_samples, lines, sample

pytestmark = pytest.mark.usefixtures("report_org")
HOSTILE = '=HYPERLINK("http://x")<script>alert(1)</script>'


@pytest.fixture
def report_org(insp_org):
    """PROD: log4j on the ECR image and on web-01, four more open findings, one closed, one
    suppressed, coverage with reasons; STAGING: Inspector DISABLED."""
    state = insp_org.inspector2(PROD, "us-east-1")
    for prefix in ("CVE-2021-44228", "CVE-2023-44487", "CVE-2024-99999", "Port range 22"):
        state.add_finding(sample(prefix))
    on_web = sample("CVE-2021-44228")
    on_web["resources"] = sample("Port range 22")["resources"]
    on_web["title"] = HOSTILE
    state.add_finding(on_web)
    state.add_finding(sample("CVE-2022-3715"))  # closed
    state.add_finding(sample("CVE-2023-48795"))  # suppressed
    for resource in coverage_samples():
        state.add_coverage(resource)
    lines()
    return insp_org


@pytest.fixture
def insp_org(db, emulator, aws_world, account_a, account_b):
    from tests.conftest import emulate_member

    for account in (account_a, account_b):
        emulate_member(aws_world, account)
    aws_world.inspector2(PROD, "us-east-1").enable()
    return aws_world


def report(user, **params):
    response = bearer_client(user).get("/api/v1/inspector/report/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_open_findings_by_severity_and_type_with_untriaged_apart(alice):
    data = report(alice)
    assert data["totals"]["open"] == 5
    assert data["by_severity"] == {
        "critical": 2, "high": 1, "medium": 1, "low": 0, "informational": 0, "untriaged": 1
    }  # fmt: skip
    assert data["by_type"]["network_reachability"]["medium"] == 1
    assert data["by_type"]["package_vulnerability"]["critical"] == 2
    assert data["as_of"] is not None


def test_top_risks_cves_fixes_ages_and_resources(alice):
    data = report(alice)
    top = data["top_risks"][0]
    assert (top["cve_id"], top["inspector_score"], top["exploit_available"]) == (
        "CVE-2021-44228",
        10.0,
        True,
    )
    assert top["package_version"] == "2.14.1" and top["fixed_in_version"] == "2.15.0"
    assert data["top_cves"][0] == {
        "cve_id": "CVE-2021-44228",
        "resources": 2,
        "findings": 2,
        "severity": "critical",
        "inspector_score": 10.0,
        "epss_score": 0.97,
        "exploit_available": True,
        "fix_available": True,
    }
    # log4j twice and golang: yes; untriaged: no; the network finding has no package
    assert data["fix_available"] == {"yes": 3, "partial": 0, "no": 1, "unknown": 1, "share": 0.75}
    assert sum(b["total"] for b in data["age"]["buckets"]) == 5
    web = next(r for r in data["resources"] if r["resource_id"] == "i-0abc123def4567890")
    assert (web["critical"], web["medium"], web["total"], web["worst_cve"]) == (
        1,
        1,
        2,
        "CVE-2021-44228",
    )
    assert web["resource_name"] == "web-01"
    assert data["resources"][0]["critical"] >= data["resources"][-1]["critical"]


def test_coverage_says_what_is_not_scanned_and_why(alice):
    coverage = report(alice)["coverage"]
    assert coverage["scanned"] == 3 and coverage["not_scanned"] == 4
    assert {r["reason"] for r in coverage["not_scanned_reasons"]} == {
        "UNMANAGED_EC2_INSTANCE",
        "EC2_INSTANCE_STOPPED",
        "SCAN_ELIGIBILITY_EXPIRED",
        "UNSUPPORTED_RUNTIME",
    }
    off = {(r["account_id"], r["region"], r["outcome"]) for r in coverage["not_enabled"]}
    assert (STAGING, "us-east-1", "not_enabled") in off
    assert (PROD, "us-east-1", "not_enabled") not in off


def test_filters_narrow_every_section(alice):
    data = report(alice, severity="critical")
    assert data["totals"]["open"] == 2 and data["by_severity"]["high"] == 0
    assert report(alice, exploit_available="false")["totals"]["open"] == 1  # AWS said NO once
    assert report(alice, account=STAGING)["totals"]["open"] == 0
    assert report(alice, account=STAGING)["coverage"]["scanned"] == 0
    assert report(alice, cve="CVE-2021-44228")["totals"]["resources"] == 2
    response = bearer_client(alice).get("/api/v1/inspector/report/", {"fix_available": "maybe"})
    assert response.status_code == 400 and "fix_available" in response.json()


def test_scoped_to_the_person_and_charlie_sees_nothing(bob, charlie, alice):
    assert report(bob)["totals"]["open"] == 5  # bob sees PROD
    assert {r["account_id"] for r in report(bob)["coverage"]["not_enabled"]} <= {PROD}
    nothing = report(charlie)
    assert nothing["totals"]["open"] == 0 and nothing["resources"] == []
    assert nothing["coverage"]["not_scanned"] == 0 and nothing["as_of"] is None
    assert report(charlie, account=PROD)["top_risks"] == []


def test_the_api_answers_in_a_fixed_number_of_queries(alice, django_assert_num_queries):
    # token, scope (twice), the data's version (3), latest runs (scope, runs), then the
    # rollups (findings.inspector.kept): scope, pending keys (none: the collection computed
    # them), one read per section (cells, resources, top risks and their findings, top CVEs,
    # ages, worst resources), coverage (scope, counts, not scanned)
    from findings.models import RollupPending

    assert not RollupPending.objects.exists()  # the collection computed its rollups as it ended
    client = bearer_client(alice)
    with django_assert_num_queries(21):
        cold = client.get("/api/v1/inspector/report/")
    # the same data, person and filters: token, scope (twice) and the version, from the cache
    with django_assert_num_queries(6):
        warm = client.get("/api/v1/inspector/report/")
    assert cold.status_code == warm.status_code == 200
    assert cold.json() == warm.json()


def test_the_cached_report_follows_a_change_of_the_data(alice):
    from findings.models import Finding

    before = report(alice)
    finding = Finding.objects.filter(source="inspector", status="open").first()
    from findings.services.workflow import finding_workflow_update

    finding_workflow_update(finding=finding, actor=alice, status="resolved")
    assert report(alice)["totals"]["open"] == before["totals"]["open"] - 1


def test_page_csv_and_json_hold_exactly_the_filtered_rows(client, alice):
    client.force_login(alice)
    page = client.get("/inspector/", {"severity": "critical"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Data as of" in body and "Filters:" in body
    assert "<script>alert(1)" not in body  # escaped in tables and in json_script
    rows = list(csv.DictReader(io.StringIO(_text(client.get("/inspector/", {"severity": "critical", "format": "csv"})))))  # fmt: skip
    expected = {
        f.source_id
        for f in __import__("findings.models", fromlist=["Finding"]).Finding.objects.filter(
            severity="critical", aws_state="active"
        )
    }
    assert {r["finding_arn"] for r in rows} == expected and len(rows) == 2
    hostile = next(r for r in rows if r["resource_id"] == "i-0abc123def4567890")
    assert hostile["title"].startswith("'=")  # a formula made inert
    download = client.get("/inspector/", {"account": PROD, "format": "json"})
    assert download["Content-Disposition"].startswith("attachment;")
    data = json.loads(download.content)
    assert data["totals"]["open"] == 5 and data["filters"] == {"account": [PROD]}
    bad = client.get("/inspector/", {"cve": "x y", "format": "csv"})
    assert bad.status_code == 400 and b"cve" in bad.content
    assert client.get("/inspector/", {"cve": "x y"}).status_code == 400


def test_charlie_sees_an_empty_page(client, charlie):
    client.force_login(charlie)
    body = client.get("/inspector/").content.decode()
    assert PROD not in body and "CVE-2021-44228" not in body
    rows = _text(client.get("/inspector/", {"format": "csv"})).splitlines()
    assert len(rows) == 1  # the header only


def _text(response):
    return (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )
