"""The categories page and the Macie page: counts equal the lists they open, scoped, inert."""

from urllib.parse import urlsplit

import pytest

from findings.categories import CATEGORIES
from tests.conftest import bearer_client


def macie_record(bucket: str, **overrides):
    raw = {
        "resourcesAffected": {
            "s3Bucket": {"name": bucket, "publicAccess": {"effectivePermission": "PUBLIC"}},
            "s3Object": {"key": "k", "publicAccess": False},
        },
        "classificationDetails": {
            "result": {"sensitiveData": [{"category": "CREDENTIALS", "totalCount": 3}]}
        },
    }
    values = {
        "source": "macie",
        "type": "SensitiveData:S3Object/Credentials",
        "severity_score": 3.0,
        "native_severity": "High",
        "bucket": bucket,
        "public_access": True,
        "sensitive_data": {"CREDENTIALS": 3},
        "raw": raw,
    }
    values.update(overrides)
    return values


@pytest.fixture
def mixed(store, account_a, account_b):
    store(account_a, type="CryptoCurrency:EC2/BitcoinTool.B!DNS", severity_score=8.0)
    store(account_a, type="CryptoCurrency:EC2/BitcoinTool.B!DNS", severity_score=5.0)
    store(account_a, type="UnauthorizedAccess:EC2/MetadataDNSRebind", severity_score=5.0)
    store(account_a, type="Recon:IAMUser/TorIPCaller", severity_score=2.0, aws_state="archived")
    store(account_a, **macie_record('evil"><img src=x onerror=alert(1)>'))
    store(account_b, **macie_record("private-bucket", public_access=False, raw={}))
    store(account_b, type="Exfiltration:S3/AnomalousBehavior", severity_score=9.5)


def api_count(client, url: str) -> int:
    return client.get("/api/v1/findings/?" + urlsplit(url).query).json()["count"]


@pytest.mark.django_db
def test_tiles_count_what_their_lists_show(client, alice, mixed):
    client.force_login(alice)
    report = client.get("/categories/").context["report"]
    assert [t["category"] for t in report.tiles] == [*CATEGORIES, "Uncategorised"]
    api = bearer_client(alice)
    for tile in report.tiles:
        assert tile["total"] == api_count(api, tile["url"]), tile["category"]
    by_name = {t["category"]: t for t in report.tiles}
    assert by_name["File hosting"]["total"] == 2
    assert {s["severity"]: s["count"] for s in by_name["File hosting"]["severities"]}["high"] == 1
    assert by_name["Anonymous access"]["total"] == 0  # archived is not open
    assert by_name["Uncategorised"]["total"] == 1
    assert by_name["Credentials loss"]["total"] == 1  # credentials in a public bucket
    assert by_name["Data compliance"]["total"] == 1  # the private one


@pytest.mark.django_db
def test_categories_are_scoped(client, bob, charlie, mixed):
    client.force_login(bob)
    tiles = {t["category"]: t["total"] for t in client.get("/categories/").context["report"].tiles}
    assert tiles["Information loss"] == 0  # account_b's exfiltration is not bob's
    client.force_login(charlie)
    assert all(t["total"] == 0 for t in client.get("/categories/").context["report"].tiles)


@pytest.mark.django_db
def test_macie_page_lists_exposed_buckets_worst_first_and_escapes_names(client, alice, mixed):
    client.force_login(alice)
    response = client.get("/macie/")
    report = response.context["report"]
    assert report.total == 2
    assert [b["bucket"] for b in report.exposed_buckets] == ['evil"><img src=x onerror=alert(1)>']
    assert report.sensitive_types[0]["type"] == "CREDENTIALS"
    assert report.sensitive_types[0]["occurrences"] == 6
    api = bearer_client(alice)
    for row in report.by_category + report.by_severity + report.by_bucket:
        assert row["count"] == api_count(api, row["url"])
    page = response.content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.django_db
def test_macie_page_for_charlie_is_empty(client, charlie, mixed):
    client.force_login(charlie)
    response = client.get("/macie/")
    assert response.context["report"].total == 0
    assert b"No open Macie finding" in response.content


def test_the_macie_report_in_sql_equals_the_report_counted_from_rows(
    postgres, alice, bob, store, account_a, account_b
):
    from findings.categories.report import macie_report_for_user, macie_report_from_rows
    from findings.selectors import finding_list_for_user

    store(account_a, **macie_record("shared", public_access=False, type=SHARED))
    store(account_a, **macie_record("shared", sensitive_data={"FINANCIAL": 2, "CREDENTIALS": 1}))
    store(account_a, **macie_record("quiet", public_access=False, sensitive_data={}))
    store(account_a, **macie_record("", public_access=None, severity_score=1.0))
    store(account_b, **macie_record("other", native_severity="Low", sensitive_data={"PII": 7}))
    for user in (alice, bob):
        findings = finding_list_for_user(user=user).open().filter(source="macie").order_by()
        assert macie_report_for_user(user=user) == macie_report_from_rows(findings, 10)
    exposed = [b["bucket"] for b in macie_report_for_user(user=alice).exposed_buckets]
    assert exposed == ["shared", "other"]  # high before low; "quiet" holds nothing sensitive


SHARED = "Policy:IAMUser/S3BucketSharedExternally"
