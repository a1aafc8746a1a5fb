"""The AWS edge: assumed roles with the ExternalId, refresh, retries, one client per target."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.aws import (
    AccessDenied,
    AwsGateway,
    ServiceNotEnabled,
    Throttled,
    counting_calls,
    timestamp_parse,
)
from tests.conftest import emulate_member


@pytest.fixture
def member(emulator, aws_world, account_a):
    emulate_member(aws_world, account_a)
    aws_world.guardduty(account_a.account_id, "us-east-1").enable()
    return account_a


def assume_calls(emulator) -> list:
    return [c for c in emulator.calls if c.operation == "AssumeRole"]


def test_the_role_is_assumed_with_the_external_id_a_recognisable_name_and_one_hour(
    emulator, member
):
    gateway = AwsGateway(session_name="watchpost-collect")
    client = gateway.for_account(member, "guardduty", "us-east-1")
    assert client.call("list_detectors")["DetectorIds"]
    (call,) = assume_calls(emulator)
    assert call.params["ExternalId"] == member.external_id
    assert call.params["RoleSessionName"] == "watchpost-collect"
    assert call.params["DurationSeconds"] == 3600
    assert call.params["RoleArn"] == member.role_arn
    guardduty = [c for c in emulator.calls if c.service == "guardduty"]
    assert guardduty[0].account_id == member.account_id


def test_a_wrong_external_id_is_access_denied(emulator, aws_world, account_a):
    emulate_member(aws_world, account_a)
    account_a.external_id = "watchpost-not-the-one"
    with pytest.raises(AccessDenied, match="AssumeRole"):
        AwsGateway().for_account(account_a, "guardduty", "us-east-1")


def test_a_refused_role_is_not_asked_again_in_the_same_run(emulator, aws_world, account_a):
    gateway = AwsGateway()
    for region in ["us-east-1", "eu-west-1"]:
        with pytest.raises(AccessDenied):
            gateway.for_account(account_a, "guardduty", region)
    assert len(assume_calls(emulator)) == 1


def test_one_client_per_account_service_and_region(emulator, member):
    gateway = AwsGateway()
    first = gateway.for_account(member, "guardduty", "us-east-1")
    assert gateway.for_account(member, "guardduty", "us-east-1") is first
    assert gateway.for_account(member, "guardduty", "eu-west-1") is not first
    assert gateway.for_account(member, "macie2", "us-east-1") is not first
    assert len(assume_calls(emulator)) == 1  # one assumed session serves every client


def test_credentials_near_expiry_are_refreshed_so_a_long_sync_does_not_fail(
    emulator, aws_world, member
):
    # The emulator stamps Expiration from its clock: 55 minutes in the past makes every session
    # expire 5 minutes from now, inside botocore's refresh window.
    aws_world.clock.freeze(datetime.now(UTC) - timedelta(minutes=55))
    client = AwsGateway().for_account(member, "guardduty", "us-east-1")
    for _ in range(3):
        assert client.call("list_detectors")["DetectorIds"]
    assert len(assume_calls(emulator)) >= 2


def test_expired_credentials_are_replaced_before_use(emulator, aws_world, member):
    gateway = AwsGateway()
    client = gateway.for_account(member, "guardduty", "us-east-1")
    client.call("list_detectors")
    # An hour later (by AWS's clock and ours) the first session is dead.
    aws_world.clock.freeze(datetime.now(UTC) + timedelta(minutes=61))
    session = gateway._sessions[(member.role_arn, member.external_id)]
    creds = session._session._credentials
    creds._expiry_time = datetime.now(UTC) - timedelta(seconds=1)  # as botocore sees it
    assert client.call("list_detectors")["DetectorIds"]
    assert len(assume_calls(emulator)) == 2


def test_throttling_is_retried_in_standard_mode(emulator, member, settings):
    settings.WATCHPOST_AWS_MAX_ATTEMPTS = 5
    emulator.inject("guardduty", "ListDetectors", "ThrottlingException", times=2)
    client = AwsGateway().for_account(member, "guardduty", "us-east-1")
    assert client.call("list_detectors")["DetectorIds"]
    assert emulator.count(service="guardduty", operation="ListDetectors") == 3


def test_throttling_past_the_attempts_raises_throttled(emulator, member, settings):
    settings.WATCHPOST_AWS_MAX_ATTEMPTS = 4
    emulator.inject("guardduty", "ListDetectors", "ThrottlingException", times=None)
    client = AwsGateway().for_account(member, "guardduty", "us-east-1")
    with pytest.raises(Throttled):
        client.call("list_detectors")
    assert emulator.count(service="guardduty", operation="ListDetectors") == 4


def test_a_missing_permission_is_access_denied_and_not_retried(emulator, member):
    emulator.inject("guardduty", "ListDetectors", "AccessDeniedException", times=None)
    with pytest.raises(AccessDenied):
        AwsGateway().for_account(member, "guardduty", "us-east-1").call("list_detectors")
    assert emulator.count(service="guardduty", operation="ListDetectors") == 1


def test_macie_off_is_service_not_enabled(emulator, member):
    with pytest.raises(ServiceNotEnabled, match="Macie is not enabled"):
        AwsGateway().for_account(member, "macie2", "us-east-1").call("get_macie_session")


def test_calls_are_counted_per_block_each_page_once(emulator, aws_world, member):
    detector = aws_world.guardduty(member.account_id, "us-east-1")
    for _ in range(120):
        detector.add_finding()
    gateway = AwsGateway()
    client = gateway.for_account(member, "guardduty", "us-east-1")
    detector_id = client.call("list_detectors")["DetectorIds"][0]
    with counting_calls() as calls:
        pages = list(client.pages("list_findings", DetectorId=detector_id, MaxResults=50))
    assert len(pages) == 3
    assert calls.total == 3
    assert gateway.counter.total == 1 + 1 + 3  # AssumeRole, ListDetectors, three pages


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-14T10:00:00.000Z",
        "2024-05-14T10:00:00Z",
        "2024-05-14T12:00:00.123456+02:00",
        "2024-05-14T10:00:00",
        "Tue, 14 May 2024 10:00:00 GMT",
        "1715680800",
        "20240514",
        1715680800,
        1715680800.5,
        "2024-05-14T99:00:00Z",  # hostile: ISO-looking, not a time
    ],
)
def test_timestamps_read_as_botocore_reads_them(value):
    """The fast path for ISO 8601 gives botocore's moment and offset; the rest is botocore's."""
    from botocore.utils import parse_timestamp

    try:
        expected = parse_timestamp(value)
    except ValueError:
        with pytest.raises(ValueError):
            timestamp_parse(value)
        return
    got = timestamp_parse(value)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()
    assert got.isoformat() == expected.isoformat()


def test_clients_parse_timestamps_with_the_fast_parser():
    from botocore.parsers import ResponseParserFactory

    from accounts.aws import _botocore_session

    factory = _botocore_session().get_component("response_parser_factory")
    assert isinstance(factory, ResponseParserFactory)
    assert factory._defaults["timestamp_parser"] is timestamp_parse
