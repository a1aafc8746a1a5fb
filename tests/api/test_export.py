"""findings/export/: the filtered set as CSV, JSON and OCSF, streamed, scoped like the list."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import bearer_client

EXPORT = "/api/v1/findings/export/"


@pytest.fixture
def stored(store, account_a, account_b):
    return [
        store(account_a, severity_score=8.0, title='=HYPERLINK("http://x")'),
        store(account_a, severity_score=2.0, aws_state="archived"),
        store(account_b, severity_score=5.0),
    ]


def body(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def test_json_is_the_lists_rows_for_the_filtered_set(alice, stored):
    response = bearer_client(alice).get(EXPORT, {"account": "222222222222"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    rows = json.loads(body(response))
    assert {r["id"] for r in rows} == {stored[0].pk, stored[1].pk}
    assert rows[0]["title"] in {f.title for f in stored}
    assert set(rows[0]) >= {"id", "severity", "status", "aws_state", "account_id", "updated_at"}


def test_csv_neutralises_formulas(alice, stored):
    response = bearer_client(alice).get(EXPORT, {"format": "csv", "severity": "high"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://x")']


def test_accept_text_csv_selects_csv(alice, stored):
    response = bearer_client(alice).get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")


def test_ocsf_detection_findings(alice, stored):
    response = bearer_client(alice).get(EXPORT, {"format": "ocsf", "ordering": "-severity"})
    items = json.loads(body(response))
    assert len(items) == 3
    high, medium, archived = items
    assert (high["class_uid"], high["category_uid"], high["type_uid"]) == (2004, 2, 200401)
    assert (high["severity_id"], high["severity"]) == (4, "High")
    assert (high["status_id"], high["status"]) == (1, "New")
    info = high["finding_info"]
    assert info["uid"] == stored[0].source_id and info["types"] == [stored[0].type]
    assert info["title"] == stored[0].title and info["desc"] == stored[0].description
    assert info["first_seen_time"] == int(stored[0].first_seen.timestamp() * 1000)
    assert info["last_seen_time"] == int(stored[0].last_seen.timestamp() * 1000)
    assert high["cloud"]["account"]["uid"] == "222222222222"
    assert high["cloud"]["region"] == "us-east-1"
    assert high["resources"][0]["uid"] == stored[0].resource_id
    assert high["metadata"]["product"] == {"name": "GuardDuty", "vendor_name": "AWS"}
    assert high["time"] == int(stored[0].updated_at.timestamp() * 1000)
    assert medium["severity_id"] == 3
    assert archived["activity_id"] == 3 and archived["type_uid"] == 200403  # closed in AWS


def test_bob_exports_only_his_account_and_charlie_nothing(bob, charlie, stored):
    rows = json.loads(body(bearer_client(bob).get(EXPORT)))
    assert {r["account_id"] for r in rows} == {"222222222222"}
    assert json.loads(body(bearer_client(charlie).get(EXPORT))) == []


def test_bad_filter_or_format_is_a_json_400(alice, stored):
    for params in ({"severity": "huge", "format": "csv"}, {"format": "xml"}):
        response = bearer_client(alice).get(EXPORT, params)
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) & {"severity", "format"}


def test_export_needs_a_token(stored):
    from rest_framework.test import APIClient

    assert APIClient().get(EXPORT, {"format": "csv"}).status_code == 401
