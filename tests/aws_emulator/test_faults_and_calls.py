"""Injected faults answer like AWS and are retried by botocore; every call is counted."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_emulator import Emulator, World

from .conftest import MGMT, PROD, session_for

RETRY = Config(retries={"mode": "standard", "max_attempts": 3})


def test_throttling_is_retried_by_standard_mode(
    emu: Emulator, world: World, no_backoff: None
) -> None:
    world.guardduty(PROD, "us-east-1").enable()
    client = session_for(PROD).client("guardduty", config=RETRY)
    emu.inject("guardduty", "ListDetectors", "ThrottlingException", account_id=PROD, times=2)
    response = client.list_detectors()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert emu.count(service="guardduty", operation="ListDetectors") == 3


def test_throttling_fails_once_attempts_are_exhausted(emu: Emulator, no_backoff: None) -> None:
    client = boto3.client("guardduty", config=RETRY)
    emu.inject("guardduty", "ListDetectors", "ThrottlingException", times=None)
    with pytest.raises(ClientError) as caught:
        client.list_detectors()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # botocore's `max_attempts` counts retries: 1 call + 3 retries.
    assert caught.value.response["ResponseMetadata"]["MaxAttemptsReached"]
    assert emu.count(operation="ListDetectors") == 4


def test_access_denied_injection_is_403_and_not_retried(emu: Emulator) -> None:
    client = boto3.client("macie2", config=RETRY)
    emu.inject("macie2", "GetMacieSession", "AccessDeniedException", message="not allowed")
    with pytest.raises(ClientError) as caught:
        client.get_macie_session()
    assert caught.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": "not allowed",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert emu.count(service="macie2") == 1


def test_faults_can_target_one_account_and_region(emu: Emulator, world: World) -> None:
    emu.inject("sts", "GetCallerIdentity", "AccessDenied", account_id=PROD)
    assert boto3.client("sts").get_caller_identity()["Account"] == MGMT
    with pytest.raises(ClientError, match="AccessDenied"):
        session_for(PROD).client("sts").get_caller_identity()


def test_calls_are_recorded_with_account_region_and_params(emu: Emulator) -> None:
    session_for(PROD, "eu-west-1").client("guardduty").list_detectors(MaxResults=5)
    record = emu.calls[-1]
    assert (record.service, record.operation, record.account_id, record.region) == (
        "guardduty",
        "ListDetectors",
        PROD,
        "eu-west-1",
    )
    assert record.params == {"MaxResults": 5}
    assert emu.count(service="sts", operation="AssumeRole", account_id=MGMT) == 1


def test_unknown_operation_never_reaches_the_network(emu: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        boto3.client("s3").list_buckets()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "s3:ListBuckets" in caught.value.response["Error"]["Message"]


def test_clients_of_sessions_made_after_start_are_intercepted(world: World) -> None:
    with Emulator(world) as emu:
        session = boto3.Session(region_name="eu-west-1")
        assert session.client("sts").get_caller_identity()["Account"] == MGMT
        assert emu.count() == 1


def test_stop_removes_the_handlers(world: World) -> None:
    import botocore.handlers

    before = list(botocore.handlers.BUILTIN_HANDLERS)
    with Emulator(world):
        assert len(botocore.handlers.BUILTIN_HANDLERS) == len(before) + 2
    assert before == botocore.handlers.BUILTIN_HANDLERS


def test_only_one_emulator_at_a_time(emu: Emulator, world: World) -> None:
    with pytest.raises(RuntimeError):
        Emulator(world).start()


def test_a_fault_can_wait_for_the_nth_matching_call(emu: Emulator, world: World) -> None:
    world.guardduty(PROD, "us-east-1").enable()
    client = session_for(PROD).client("guardduty", config=Config(retries={"max_attempts": 0}))
    emu.inject("guardduty", "ListDetectors", "InternalServerErrorException", after=2)
    client.list_detectors()
    client.list_detectors()
    with pytest.raises(ClientError, match="InternalServerErrorException"):
        client.list_detectors()
    client.list_detectors()  # times=1: only the third call failed


def test_slow_answers_normally_after_a_delay(emu: Emulator, world: World) -> None:
    import time

    world.guardduty(PROD, "us-east-1").enable()
    emu.slow("guardduty", "ListDetectors", seconds=0.2, account_id=PROD, times=1)
    client = session_for(PROD).client("guardduty")
    started = time.monotonic()
    assert len(client.list_detectors()["DetectorIds"]) == 1
    assert time.monotonic() - started >= 0.2
    assert emu.count(operation="ListDetectors", account_id=PROD) == 1
