"""What an admin hands to a member account's owner: the role's trust and permissions policies.

The permissions are read-only and exactly what the collectors call (docs/domain.md, Permissions); the trust policy
lets only the hub identity assume the role, and only with this account's ExternalId.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.aws import AwsError, AwsGateway
from accounts.models import AwsAccount

READ_ONLY_ACTIONS = [
    "guardduty:ListDetectors",
    "guardduty:ListFindings",
    "guardduty:GetFindings",
    "guardduty:GetFindingsStatistics",
    "macie2:GetMacieSession",
    "macie2:ListFindings",
    "macie2:GetFindings",
    "macie2:GetFindingStatistics",
    "inspector2:ListFindings",
    "inspector2:ListCoverage",
    "inspector2:ListFindingAggregations",
    "inspector2:BatchGetAccountStatus",
    "cloudtrail:LookupEvents",
    "ce:GetCostAndUsage",
    "ce:GetCostForecast",
    "ce:GetAnomalies",
    "ce:GetAnomalyMonitors",
    "budgets:ViewBudget",
    "organizations:ListAccounts",
    "organizations:DescribeOrganization",
]
# The one write, optional: lets managers tell AWS whether an anomaly was one.
FEEDBACK_ACTIONS = ["ce:ProvideAnomalyFeedback"]


HUB_PRINCIPAL_CACHE_KEY = "watchpost:hub-principal"


def hub_principal_arn() -> str:
    """The principal member roles must trust: WATCHPOST_HUB_PRINCIPAL_ARN, else the hub's account as
    learned by the last connection check, else "" (a page never calls AWS to render)."""
    return settings.WATCHPOST_HUB_PRINCIPAL_ARN or cache.get(HUB_PRINCIPAL_CACHE_KEY, "")


def hub_principal_learn(gateway: AwsGateway, region: str) -> str:
    """Ask STS who the hub is and remember its account root as the principal to trust."""
    try:
        identity = gateway.hub_client("sts", region).call("get_caller_identity")
    except AwsError:
        return ""
    partition = identity["Arn"].split(":")[1]
    arn = f"arn:{partition}:iam::{identity['Account']}:root"
    cache.set(HUB_PRINCIPAL_CACHE_KEY, arn, None)
    return arn


def trust_policy(account: AwsAccount, principal: str) -> dict[str, Any]:
    """The role's trust policy: the hub may assume it only with this account's ExternalId."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": principal or "arn:aws:iam::<hub-account-id>:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": account.external_id}},
            }
        ],
    }


def permissions_policy(*, with_feedback: bool = True) -> dict[str, Any]:
    """The role's read-only permissions (plus anomaly feedback unless left out)."""
    actions = READ_ONLY_ACTIONS + (FEEDBACK_ACTIONS if with_feedback else [])
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "WatchpostReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}
        ],
    }


def cloudformation_template(account: AwsAccount, principal: str) -> str:
    """A CloudFormation template (JSON, valid YAML too) creating the role with both policies."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Read-only role for Watchpost",
        "Resources": {
            "WatchpostRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": account.role_name or "WatchpostReadOnly",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": trust_policy(account, principal),
                    "Policies": [
                        {"PolicyName": "WatchpostReadOnly", "PolicyDocument": permissions_policy()}
                    ],
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["WatchpostRole", "Arn"]}}},
    }
    return json.dumps(template, indent=2)
