"""Fixtures for the AWS emulator's own tests: fake hub credentials, a small world, a started emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.retries.standard
import pytest

from aws_emulator import Emulator, World

MGMT, PROD, STAGING = "111111111111", "222222222222", "333333333333"
ROLE = "WatchpostReadOnly"
EXTERNAL_ID = "ext-123"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hub credentials as a user would set them; nothing may reach real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's standard-mode retries but without their sleeps."""
    monkeypatch.setattr(
        botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0
    )


@pytest.fixture
def world() -> World:
    """An organisation of three accounts with the read-only role and GuardDuty in PROD."""
    w = World(hub_account_id=MGMT)
    w.clock.freeze()
    w.organization(management_account_id=MGMT)
    w.add_account(PROD, name="Prod", email="prod@example.com")
    w.add_account(STAGING, name="Staging", email="staging@example.com", status="SUSPENDED")
    for account in (MGMT, PROD, STAGING):
        w.add_role(account, ROLE, external_id=EXTERNAL_ID)
    return w


@pytest.fixture
def emu(world: World) -> Iterator[Emulator]:
    """The in-process emulator, started."""
    with Emulator(world) as started:
        yield started


def session_for(account: str, region: str = "us-east-1", **assume: Any) -> boto3.Session:
    """A boto3 session holding credentials for ROLE in `account`, as the product would make."""
    kwargs: dict[str, Any] = {"ExternalId": EXTERNAL_ID, **assume}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="watchpost-test", **kwargs
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
