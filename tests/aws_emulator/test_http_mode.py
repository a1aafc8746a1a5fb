"""HTTP mode answers boto3 clients pointed at the server, for sts, guardduty and organizations."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from aws_emulator import World
from aws_emulator.server import EmulatorServer

from .conftest import EXTERNAL_ID, PROD, ROLE


@pytest.fixture
def srv(world: World) -> Iterator[EmulatorServer]:
    world.guardduty(PROD, "eu-west-1").enable()
    for i in range(60):
        world.guardduty(PROD, "eu-west-1").add_finding(Severity=float(1 + i % 9))
    with EmulatorServer(world, host="127.0.0.1", port=0) as server:
        yield server


def test_sts_guardduty_and_organizations_over_http(srv: EmulatorServer) -> None:
    sts = boto3.client("sts", endpoint_url=srv.url)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{PROD}:role/{ROLE}", RoleSessionName="http", ExternalId=EXTERNAL_ID
    )["Credentials"]
    member = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="eu-west-1",
    )
    assert member.client("sts", endpoint_url=srv.url).get_caller_identity()["Account"] == PROD
    gd = member.client("guardduty", endpoint_url=srv.url)
    detector = gd.list_detectors()["DetectorIds"][0]
    pages = list(gd.get_paginator("list_findings").paginate(DetectorId=detector))
    assert [len(p["FindingIds"]) for p in pages] == [50, 10]
    high = gd.list_findings(
        DetectorId=detector, FindingCriteria={"Criterion": {"severity": {"Gte": 7}}}
    )["FindingIds"]
    found = gd.get_findings(DetectorId=detector, FindingIds=high)["Findings"]
    assert found and all(f["Severity"] >= 7 for f in found)
    with pytest.raises(ClientError, match="BadRequestException"):
        gd.list_findings(DetectorId=detector, MaxResults=51)
    orgs = boto3.client("organizations", endpoint_url=srv.url)
    assert len(orgs.list_accounts()["Accounts"]) == 3
    assert srv.count(service="guardduty", account_id=PROD, region="eu-west-1") == 6


def test_injected_fault_over_http(srv: EmulatorServer) -> None:
    srv.inject("sts", "GetCallerIdentity", "AccessDenied")
    with pytest.raises(ClientError) as caught:
        boto3.client("sts", endpoint_url=srv.url).get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_service_over_http_is_an_explicit_error(srv: EmulatorServer) -> None:
    with pytest.raises(ClientError) as caught:
        boto3.client("sqs", endpoint_url=srv.url).list_queues()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
