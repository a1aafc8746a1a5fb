"""STS AssumeRole and GetCallerIdentity behave like AWS's trust policies and limits."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from aws_emulator import Emulator, World

from .conftest import EXTERNAL_ID, PROD, ROLE, session_for

ARN = f"arn:aws:iam::{PROD}:role/{ROLE}"


def _assume(**kwargs: object) -> dict:
    params = {"RoleArn": ARN, "RoleSessionName": "watchpost", **kwargs}
    return boto3.client("sts").assume_role(**params)


def test_right_external_id_gives_credentials_of_the_member_account(emu: Emulator) -> None:
    response = _assume(ExternalId=EXTERNAL_ID)
    assert response["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert len(response["Credentials"]["AccessKeyId"]) == 20
    assert (
        response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/{ROLE}/watchpost"
    )
    identity = session_for(PROD).client("sts").get_caller_identity()
    assert identity["Account"] == PROD


@pytest.mark.parametrize("external_id", ["wrong-id", None])
def test_wrong_or_missing_external_id_is_access_denied(
    emu: Emulator, external_id: str | None
) -> None:
    kwargs = {"ExternalId": external_id} if external_id else {}
    with pytest.raises(ClientError) as caught:
        _assume(**kwargs)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert "is not authorized to perform: sts:AssumeRole on resource" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_role_that_allows_no_external_id_accepts_a_missing_one(emu: Emulator, world: World) -> None:
    world.add_role(PROD, "Legacy", external_id="x-legacy", allow_without_external_id=True)
    response = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{PROD}:role/Legacy", RoleSessionName="onboarding-check"
    )
    assert response["Credentials"]["AccessKeyId"]


def test_unknown_role_is_access_denied(emu: Emulator) -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        _assume(RoleArn=f"arn:aws:iam::{PROD}:role/Missing", ExternalId=EXTERNAL_ID)


def test_duration_above_role_maximum_is_a_validation_error(emu: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        _assume(ExternalId=EXTERNAL_ID, DurationSeconds=7200)
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_duration_above_43200_is_rejected_by_the_model_max(emu: Emulator, world: World) -> None:
    world.add_role(PROD, "Long", external_id=EXTERNAL_ID, max_session_duration=43200)
    with pytest.raises(ClientError) as caught:
        _assume(
            RoleArn=f"arn:aws:iam::{PROD}:role/Long", ExternalId=EXTERNAL_ID, DurationSeconds=43201
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "less than or equal to 43200" in caught.value.response["Error"]["Message"]


def test_session_name_pattern_and_length_are_enforced(emu: Emulator) -> None:
    with pytest.raises(ClientError, match="ValidationError"):
        _assume(ExternalId=EXTERNAL_ID, RoleSessionName="bad name!")
    with pytest.raises(ClientError, match="ValidationError"):
        _assume(ExternalId=EXTERNAL_ID, RoleSessionName="x" * 65)
    with pytest.raises(ParamValidationError):  # botocore itself checks the minimum
        _assume(ExternalId=EXTERNAL_ID, RoleSessionName="x")


def test_expired_credentials_answer_expired_token(emu: Emulator, world: World) -> None:
    session = session_for(PROD, DurationSeconds=900)
    client = session.client("sts")
    assert client.get_caller_identity()["Account"] == PROD
    world.clock.advance(seconds=901)
    with pytest.raises(ClientError) as caught:
        client.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"


def test_unknown_session_key_is_rejected(emu: Emulator) -> None:
    client = boto3.client(
        "sts",
        aws_access_key_id="ASIAUNKNOWNKEY000000",
        aws_secret_access_key="x",
        aws_session_token="t",
    )
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        client.get_caller_identity()


def test_chained_assume_role_is_capped_at_one_hour(emu: Emulator, world: World) -> None:
    world.add_role(PROD, "Long", external_id=EXTERNAL_ID, max_session_duration=43200)
    member = session_for(PROD).client("sts")
    with pytest.raises(ClientError, match="ValidationError"):
        member.assume_role(
            RoleArn=f"arn:aws:iam::{PROD}:role/Long",
            RoleSessionName="chained",
            ExternalId=EXTERNAL_ID,
            DurationSeconds=7200,
        )


def test_the_hub_identity_is_an_iam_user_unless_told_otherwise(emu: Emulator, world: World) -> None:
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{world.hub_account_id}:user/watchpost-hub"
    assert identity["UserId"].startswith("AIDA")
    world.hub_arn = f"arn:aws:sts::{world.hub_account_id}:assumed-role/WatchpostHub/i-0abc"
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Arn"] == world.hub_arn
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":i-0abc")


def test_the_call_log_names_who_signed_each_call(emu: Emulator, world: World) -> None:
    session_for(PROD).client("sts").get_caller_identity()
    assume, member = emu.calls[-2:]
    assert assume.caller_arn == f"arn:aws:iam::{world.hub_account_id}:user/watchpost-hub"
    assert member.caller_arn == f"arn:aws:sts::{PROD}:assumed-role/{ROLE}/watchpost-test"
