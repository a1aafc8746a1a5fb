"""Procedural estates: findings and events computed from their index, served like stored ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from aws_emulator.procedural import ARCHIVED_EVERY
from aws_emulator.validation import check_output, valid_output

END = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def gd(emulator, aws_world):
    state = aws_world.guardduty("999999999999", "us-east-1")
    estate = state.procedural(230, end=END)
    client = boto3.client("guardduty", region_name="us-east-1")
    return client, state.detector_id, estate


def _ids(client, detector, **criteria):
    pages = client.get_paginator("list_findings").paginate(
        DetectorId=detector, PaginationConfig={"PageSize": 50}, **criteria
    )
    return [i for page in pages for i in page["FindingIds"]]


def test_every_finding_is_listed_once_in_update_order_and_fetched_whole(gd):
    client, detector, _estate = gd
    ids = _ids(client, detector)
    assert len(ids) == len(set(ids)) == 230
    found = client.get_findings(DetectorId=detector, FindingIds=ids[:50])["Findings"]
    assert [f["Id"] for f in found] == ids[:50]
    times = [f["UpdatedAt"] for f in found]
    assert times == sorted(times)
    assert {f["AccountId"] for f in found} == {"999999999999"}
    # the same finding every time: computed from its index, not drawn at random
    again = client.get_findings(DetectorId=detector, FindingIds=ids[:1])["Findings"][0]
    assert again == found[0]


def test_criteria_the_collector_sends_are_answered_from_the_index(gd):
    client, detector, estate = gd
    since = estate.updated_ms(199)
    recent = _ids(
        client,
        detector,
        FindingCriteria={"Criterion": {"updatedAt": {"GreaterThanOrEqual": since}}},
    )
    assert recent == [estate.finding_id(i) for i in range(199, 230)]
    archived = _ids(
        client, detector, FindingCriteria={"Criterion": {"service.archived": {"Equals": ["true"]}}}
    )
    assert archived == [estate.finding_id(i) for i in range(230) if i % ARCHIVED_EVERY == 4]
    bodies = client.get_findings(DetectorId=detector, FindingIds=archived[:3])["Findings"]
    assert all(f["Service"]["Archived"] for f in bodies)


def test_other_criteria_are_answered_from_built_findings(gd):
    client, detector, _estate = gd
    ids = _ids(client, detector, FindingCriteria={"Criterion": {"severity": {"Gte": 9}}})
    found = client.get_findings(DetectorId=detector, FindingIds=ids[:50])["Findings"]
    assert ids and all(f["Severity"] >= 9 for f in found)


def test_made_up_and_foreign_ids_are_skipped(gd):
    client, detector, estate = gd
    real = estate.finding_id(5)
    forged = real[:16] + "0" * 16  # our estate's prefix and index, a wrong checksum
    found = client.get_findings(DetectorId=detector, FindingIds=[forged, "f" * 32, real])
    assert [f["Id"] for f in found["Findings"]] == [real]


def test_cloudtrail_events_come_newest_first_within_the_window(emulator, aws_world):
    aws_world.clock.set(END)
    estate = aws_world.cloudtrail("999999999999", "us-east-1").procedural(120, end=END)
    client = boto3.client("cloudtrail", region_name="us-east-1")
    start = END - timedelta(milliseconds=estate.step_ms * 59)
    events = []
    token = None
    while True:
        kwargs = {"StartTime": start, "EndTime": END, "MaxResults": 50}
        if token:
            kwargs["NextToken"] = token
        page = client.lookup_events(**kwargs)
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            break
    assert len(events) == 60  # two calls: within LookupEvents' two a second
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)
    assert len({e["EventId"] for e in events}) == 60


def test_the_compiled_output_check_rejects_what_the_checker_rejects(emulator):
    model = boto3.client("guardduty", region_name="us-east-1").meta.service_model
    shape = model.operation_model("ListDetectors").output_shape
    assert valid_output(shape)({"DetectorIds": ["a" * 32]})
    for bad in (
        {"DetectorIds": ["a" * 301]},  # longer than the model's max
        {"DetectorIds": "not a list"},
        {"Unknown": 1, "DetectorIds": []},
        {},  # DetectorIds is required
    ):
        assert not valid_output(shape)(bad)
        assert check_output(shape, bad), bad
