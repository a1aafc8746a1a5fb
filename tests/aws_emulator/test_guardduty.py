"""GuardDuty pages, filters and limits like AWS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from aws_emulator import Emulator, World
from aws_emulator.services._common import epoch_ms

from .conftest import PROD, STAGING, session_for


@pytest.fixture
def findings(world: World) -> list[str]:
    """120 findings in PROD us-east-1, one every minute, every third archived."""
    state = world.guardduty(PROD, "us-east-1")
    state.enable()
    start = world.clock() - timedelta(hours=3)
    ids = []
    for i in range(120):
        world.clock.set(start + timedelta(minutes=i))
        ids.append(state.add_finding(Severity=float(1 + i % 9), Title=f"finding {i}")["Id"])
    world.clock.set(start + timedelta(hours=3))
    state.archive(ids[::3])
    return ids


def _client(region: str = "us-east-1"):
    return session_for(PROD, region).client("guardduty")


def _detector(client) -> str:
    return client.list_detectors()["DetectorIds"][0]


def test_120_findings_come_in_pages_of_50(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    pages = list(client.get_paginator("list_findings").paginate(DetectorId=_detector(client)))
    assert [len(p["FindingIds"]) for p in pages] == [50, 50, 20]
    assert sorted(i for p in pages for i in p["FindingIds"]) == sorted(findings)


def test_short_pages_still_carry_a_token(emu: Emulator, world: World, findings: list[str]) -> None:
    world.short_pages = True
    client = _client()
    first = client.list_findings(DetectorId=_detector(client), MaxResults=50)
    assert 0 < len(first["FindingIds"]) < 50 and first["NextToken"]
    pages = list(client.get_paginator("list_findings").paginate(DetectorId=_detector(client)))
    assert len({i for p in pages for i in p["FindingIds"]}) == 120


def test_51_ids_and_max_results_51_are_bad_requests(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    detector = _detector(client)
    with pytest.raises(ClientError) as caught:
        client.get_findings(DetectorId=detector, FindingIds=findings[:51])
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as caught:
        client.list_findings(DetectorId=detector, MaxResults=51)
    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert len(client.get_findings(DetectorId=detector, FindingIds=findings[:50])["Findings"]) == 50


def test_updated_at_filter_in_epoch_millis(
    emu: Emulator, world: World, findings: list[str]
) -> None:
    client = _client()
    cutoff = epoch_ms(world.clock() - timedelta(hours=3) + timedelta(minutes=99))
    ids = client.list_findings(
        DetectorId=_detector(client),
        FindingCriteria={"Criterion": {"updatedAt": {"Gt": cutoff}}},
    )["FindingIds"]
    assert sorted(ids) == sorted(findings[100:])


def test_archived_filter_and_default_lists_everything(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    detector = _detector(client)

    def ids(criteria: dict | None = None) -> set[str]:
        kwargs = {"FindingCriteria": {"Criterion": criteria}} if criteria else {}
        pages = client.get_paginator("list_findings").paginate(DetectorId=detector, **kwargs)
        return {i for p in pages for i in p["FindingIds"]}

    archived = ids({"service.archived": {"Eq": ["true"]}})
    active = ids({"service.archived": {"Eq": ["false"]}})
    assert archived == set(findings[::3])
    assert active == set(findings) - archived
    assert ids() == set(findings)


def test_sort_by_severity_descending(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    detector = _detector(client)
    ids = client.list_findings(
        DetectorId=detector, SortCriteria={"AttributeName": "severity", "OrderBy": "DESC"}
    )["FindingIds"]
    got = client.get_findings(DetectorId=detector, FindingIds=ids[:5])["Findings"]
    assert all(f["Severity"] == 9.0 for f in got)


def test_findings_have_string_timestamps_and_boto3_names(
    emu: Emulator, findings: list[str]
) -> None:
    client = _client()
    finding = client.get_findings(DetectorId=_detector(client), FindingIds=findings[:1])[
        "Findings"
    ][0]
    assert isinstance(finding["UpdatedAt"], str) and finding["UpdatedAt"].endswith("Z")
    assert finding["AccountId"] == PROD and finding["Service"]["Count"] == 1


def test_region_without_detector_lists_none(emu: Emulator, findings: list[str]) -> None:
    assert _client("eu-west-1").list_detectors()["DetectorIds"] == []
    assert session_for(STAGING).client("guardduty").list_detectors()["DetectorIds"] == []


def test_foreign_detector_id_is_a_bad_request(emu: Emulator, findings: list[str]) -> None:
    with pytest.raises(ClientError, match="BadRequestException"):
        _client().list_findings(DetectorId="0" * 32)


def test_invalid_next_token_is_a_bad_request(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    with pytest.raises(ClientError, match="BadRequestException"):
        client.list_findings(DetectorId=_detector(client), NextToken="not-a-token")


def test_update_and_delete_are_seen(emu: Emulator, world: World, findings: list[str]) -> None:
    state = world.guardduty(PROD, "us-east-1")
    state.update_finding(findings[0], Count=7, Severity=9.5)
    state.delete(findings[1:3])
    client = _client()
    got = client.get_findings(DetectorId=_detector(client), FindingIds=findings[:3])["Findings"]
    assert [(f["Id"], f["Service"]["Count"], f["Severity"]) for f in got] == [(findings[0], 7, 9.5)]


def test_statistics_count_by_severity(emu: Emulator, findings: list[str]) -> None:
    client = _client()
    stats = client.get_findings_statistics(
        DetectorId=_detector(client), FindingStatisticTypes=["COUNT_BY_SEVERITY"]
    )["FindingStatistics"]["CountBySeverity"]
    assert sum(stats.values()) == 120
