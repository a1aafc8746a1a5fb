"""Seed CloudTrail event history: principals of every tier, a service principal, failures."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from ..world import World

ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")


def _user(account: str, name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDA" + name.upper().ljust(17, "X")[:17],
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": "AKIAEXAMPLE" + name.upper().ljust(9, "0")[:9],
        "userName": name,
    }


def _role(account: str, role: str, session: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID01:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID01",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            }
        },
    }


def _root(account: str) -> dict[str, Any]:
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }


def _service(name: str) -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": name}


def _events(account: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(EventName, EventSource, userIdentity, extra) for one account."""
    return [
        (
            "ConsoleLogin",
            "signin.amazonaws.com",
            _root(account),
            {"event_type": "AwsConsoleSignIn"},
        ),
        ("CreateAccessKey", "iam.amazonaws.com", _user(account, "alice"), {}),
        ("AttachUserPolicy", "iam.amazonaws.com", _user(account, "alice"), {}),
        ("RunInstances", "ec2.amazonaws.com", _role(account, "DeployRole", "ci-pipeline"), {}),
        ("PutObject", "s3.amazonaws.com", _role(account, "DeployRole", "ci-pipeline"), {}),
        ("GetObject", "s3.amazonaws.com", _user(account, "bob"), {"read_only": True}),
        ("GetSecretValue", "secretsmanager.amazonaws.com", _user(account, "bob"), {}),
        ("DescribeInstances", "ec2.amazonaws.com", _user(account, "carol"), {}),
        ("ListBuckets", "s3.amazonaws.com", _user(account, "carol"), {}),
        (
            "DeleteTrail",
            "cloudtrail.amazonaws.com",
            _user(account, "mallory"),
            {"error_code": "AccessDenied", "error_message": "User is not authorized"},
        ),
        (
            "CreateUser",
            "iam.amazonaws.com",
            _user(account, "mallory"),
            {"error_code": "AccessDenied", "error_message": "User is not authorized"},
        ),
        ("AssumeRole", "sts.amazonaws.com", _service("ec2.amazonaws.com"), {}),
        ("Decrypt", "kms.amazonaws.com", _service("s3.amazonaws.com"), {}),
        (
            "DescribeInstances",
            "ec2.amazonaws.com",
            _user(account, "dave"),
            {"user_agent": "<script>alert(1)</script>"},
        ),
    ]


def seed_cloudtrail(world: World, rng: random.Random) -> None:
    """About 60 days of events per account in us-east-1 and a few in eu-west-1."""
    now = world.clock()
    for account in ACCOUNTS:
        for region, repeat in (("us-east-1", 6), ("eu-west-1", 1)):
            state = world.cloudtrail(account, region)
            for _ in range(repeat):
                for name, source, identity, extra in _events(account):
                    when = now - timedelta(minutes=rng.randint(5, 60 * 24 * 60))
                    username = identity.get("userName") or identity.get("invokedBy")
                    if identity["type"] == "Root":
                        username = "root"
                    elif identity["type"] == "AssumedRole":
                        username = identity["arn"].rsplit("/", 1)[-1]
                    fields: dict[str, Any] = {
                        "EventName": name,
                        "EventSource": source,
                        "EventTime": when,
                        "Username": username,
                    }
                    if identity.get("accessKeyId"):
                        fields["AccessKeyId"] = identity["accessKeyId"]
                    state.add_event(
                        user_identity=identity,
                        source_ip=rng.choice(("192.0.2.", "198.51.100.", "203.0.113."))
                        + str(rng.randint(1, 254)),
                        **extra,
                        **fields,
                    )
