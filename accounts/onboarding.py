"""What an admin hands to a member account's owner: the role's trust policy, its read-only
permissions, the payer's anomaly-feedback policy, and a CloudFormation template of them all.

The principal the role trusts is Watchpost's own identity, as STS GetCallerIdentity names it for
the hub's credentials, stored in the database (HubPrincipal) once learned, or set with
WATCHPOST_HUB_PRINCIPAL_ARN. An IAM user (or a role ARN given in full) is trusted by its ARN. An
assumed-role session (Watchpost on EC2, ECS, Lambda, or through SSO) names its role but not the
role's path, and a trust policy's Principal must be the role's exact ARN, path included, with no
wildcard (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles).
So for a session the Principal is the hub account's root and the condition `aws:PrincipalArn`
(which for a role session is the role's ARN with its path,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn)
must match the role at any path: `role/<Role>` or `role/*/<Role>`. That is exact, needs no
iam:GetRole permission, and survives the hub role being recreated (a role ARN in Principal would
turn into an unusable unique id if it were).

The permissions come from accounts.iam, the one list of what the code calls; every one is a read.
The one write, ce:ProvideAnomalyFeedback, is the payer's own policy.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.aws import AwsError, AwsGateway
from accounts.iam import member_actions, payer_actions
from accounts.models import AwsAccount, HubPrincipal
from accounts.services import audit_record
from accounts.validators import ROLE_ARN_RE

_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<resource>[\x21-\x7e]+)$"
)
NO_HUB_PRINCIPAL = (
    "Watchpost does not know yet which AWS identity its own credentials run as, so no trust "
    "policy can name it. Give it AWS credentials (boto3's AWS_PROFILE, AWS_ACCESS_KEY_ID..., or "
    "an instance/task role), then press Refresh below, run a connection check, or "
    "`python manage.py role_template ACCOUNT_ID` (each asks STS GetCallerIdentity); or set "
    "WATCHPOST_HUB_PRINCIPAL_ARN to the ARN of the IAM user or role it runs as."
)


@dataclass(frozen=True)
class HubTrust:
    """How a trust policy names Watchpost's identity.

    `principal` goes in Principal.AWS; `principal_arns`, when not empty, are the ArnLike patterns
    of the condition aws:PrincipalArn (an assumed-role session's role, at any path).
    """

    caller_arn: str
    partition: str
    account_id: str
    principal: str
    principal_arns: tuple[str, ...] = ()
    shown_as: str = ""


def hub_trust_of(arn: str) -> HubTrust:
    """The trust of an identity ARN (GetCallerIdentity's, or the setting's). Raises ValueError
    for anything but an IAM user, role or root, an assumed-role session or a federated user."""
    match = _ARN.fullmatch(arn.strip())
    if match is None:
        raise ValueError(f"{arn!r} is not an AWS IAM or STS identity ARN")
    partition, service, account, resource = match.group(
        "partition", "service", "account", "resource"
    )
    root = f"arn:{partition}:iam::{account}:root"
    base = functools.partial(HubTrust, caller_arn=arn, partition=partition, account_id=account)
    if service == "iam" and (resource == "root" or resource.startswith(("user/", "role/"))):
        return base(principal=arn, shown_as=arn)
    if service == "sts" and resource.startswith("assumed-role/") and resource.count("/") >= 2:
        role = resource.split("/")[1]
        role_arn = f"arn:{partition}:iam::{account}:role/{role}"
        patterns = (role_arn, f"arn:{partition}:iam::{account}:role/*/{role}")
        return base(principal=root, principal_arns=patterns, shown_as=role_arn)
    if service == "sts" and resource.startswith("federated-user/"):
        return base(principal=root, principal_arns=(arn,), shown_as=arn)
    raise ValueError(f"{arn!r} is not an identity a trust policy can name")


def hub_trust() -> HubTrust | None:
    """Watchpost's identity as trust policies name it: WATCHPOST_HUB_PRINCIPAL_ARN if set, else
    what was learned from STS, else None (a page never calls AWS to render)."""
    if settings.WATCHPOST_HUB_PRINCIPAL_ARN:
        return hub_trust_of(settings.WATCHPOST_HUB_PRINCIPAL_ARN)
    stored = HubPrincipal.objects.order_by("-learned_at").first()
    return hub_trust_of(stored.caller_arn) if stored is not None else None


def hub_principal_learn(
    *,
    gateway: AwsGateway,
    learned_by: str,
    actor: AbstractBaseUser | None = None,
    region: str | None = None,
) -> HubTrust | None:
    """Ask STS who Watchpost's own credentials are and store it (audited when it changes).
    Returns the trust to use; when STS cannot answer, what was stored before (never forgotten)."""
    try:
        sts = gateway.hub_client("sts", region or gateway.hub_region)
        identity = sts.call("get_caller_identity")
        trust = hub_trust_of(str(identity["Arn"]))
    except (AwsError, ValueError):
        return hub_trust()
    with transaction.atomic():
        stored = HubPrincipal.objects.select_for_update().order_by("-learned_at").first()
        before = stored.caller_arn if stored is not None else ""
        if stored is None:
            stored = HubPrincipal(caller_arn=trust.caller_arn)
        if before != trust.caller_arn or actor is not None:
            stored.caller_arn, stored.learned_by = trust.caller_arn, learned_by
            stored.learned_at = timezone.now()
            stored.save()
            audit_record(
                actor=actor,
                action="hub_principal.learned",
                target=stored,
                changes={"caller_arn": {"from": before, "to": trust.caller_arn}},
            )
    return hub_trust() or trust


# --- policies ---------------------------------------------------------------------------------


def trust_policy(*, external_id: Any, hub: HubTrust) -> dict[str, Any]:
    """The role's trust policy: the hub may assume it only with the ExternalId (a string, or a
    CloudFormation Ref in templates)."""
    condition: dict[str, Any] = {"StringEquals": {"sts:ExternalId": external_id}}
    if hub.principal_arns:
        condition["ArnLike"] = {"aws:PrincipalArn": list(hub.principal_arns)}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": hub.principal},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def permissions_policy() -> dict[str, Any]:
    """Every member role's permissions: exactly the reads Watchpost makes (accounts.iam)."""
    return _policy("WatchpostReadOnly", member_actions())


def payer_policy() -> dict[str, Any]:
    """The payer's role only, on top: tell AWS whether a cost anomaly was one."""
    return _policy("WatchpostAnomalyFeedback", payer_actions())


def _policy(sid: str, actions: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


# --- CloudFormation -----------------------------------------------------------------------------


def role_name_and_path(account: AwsAccount) -> tuple[str, str]:
    """The role's name and IAM path ("/" or "/a/b/") from the account's role ARN."""
    match = ROLE_ARN_RE.fullmatch(account.role_arn)
    if match is None:
        return "WatchpostReadOnly", "/"
    return match.group("name"), "/" + match.group("path")


def _partitionless(value: str, partition: str) -> Any:
    """An ARN of the hub as `Fn::Sub` with ${AWS::Partition}: the stack's own partition, the only
    one a role can trust (AssumeRole never crosses partitions)."""
    prefix = f"arn:{partition}:"
    if value.startswith(prefix):
        return {"Fn::Sub": "arn:${AWS::Partition}:" + value[len(prefix) :]}
    return value


def _cfn_trust(hub: HubTrust, external_id: Any) -> dict[str, Any]:
    document = trust_policy(external_id=external_id, hub=hub)
    statement = document["Statement"][0]
    statement["Principal"]["AWS"] = _partitionless(hub.principal, hub.partition)
    if hub.principal_arns:
        statement["Condition"]["ArnLike"]["aws:PrincipalArn"] = [
            _partitionless(arn, hub.partition) for arn in hub.principal_arns
        ]
    return document


def role_template(account: AwsAccount, hub: HubTrust, *, stackset: bool = False) -> dict[str, Any]:
    """The member role as a CloudFormation template.

    Per account: this account's ExternalId, and the payer's feedback policy when the parameter
    GrantAnomalyFeedback is "true" (its default for the payer). `stackset`: for a service-managed
    StackSet over the organisation, nothing that differs per member: the ExternalId is a parameter
    (defaulting to this account's, which discovery gives every account it finds), and only the
    read-only policy (a service-managed StackSet never deploys to the management account, the
    payer, which takes the per-account template).
    """
    name, path = role_name_and_path(account)
    external_id: Any = account.external_id
    parameters: dict[str, Any] = {}
    policies: list[Any] = [
        {"PolicyName": "WatchpostReadOnly", "PolicyDocument": permissions_policy()}
    ]
    conditions: dict[str, Any] = {}
    if stackset:
        parameters["ExternalId"] = {
            "Type": "String",
            "Description": "The ExternalId Watchpost sends with AssumeRole, the same for every "
            "member of the organisation.",
            "Default": account.external_id,
            "MinLength": 2,
            "MaxLength": 1224,
            "AllowedPattern": r"[\w+=,.@:/-]+",
        }
        external_id = {"Ref": "ExternalId"}
        description = "Watchpost's read-only role in every member account (StackSet)"
    else:
        parameters["GrantAnomalyFeedback"] = {
            "Type": "String",
            "Description": "true in the payer (management) account only: lets Watchpost send "
            "cost-anomaly feedback (ce:ProvideAnomalyFeedback).",
            "AllowedValues": ["true", "false"],
            "Default": "true" if account.is_payer else "false",
        }
        conditions["FeedbackGranted"] = {"Fn::Equals": [{"Ref": "GrantAnomalyFeedback"}, "true"]}
        policies.append(
            {
                "Fn::If": [
                    "FeedbackGranted",
                    {"PolicyName": "WatchpostAnomalyFeedback", "PolicyDocument": payer_policy()},
                    {"Ref": "AWS::NoValue"},
                ]
            }
        )
        description = f"Watchpost's read-only role in account {account.account_id}"
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Parameters": parameters,
    }
    if conditions:
        template["Conditions"] = conditions
    template["Resources"] = {
        "WatchpostRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": name,
                "Path": path,
                "Description": "Assumed by Watchpost with an ExternalId; reads findings and costs.",
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": _cfn_trust(hub, external_id),
                "Policies": policies,
            },
        }
    }
    template["Outputs"] = {
        "RoleArn": {
            "Description": "Give this ARN to Watchpost (add_account --role-arn).",
            "Value": {"Fn::GetAtt": ["WatchpostRole", "Arn"]},
        }
    }
    return template


def role_template_yaml(account: AwsAccount, hub: HubTrust, *, stackset: bool = False) -> str:
    """role_template() as YAML (long-form intrinsic functions, which every YAML parser reads)."""
    return yaml.safe_dump(
        role_template(account, hub, stackset=stackset),
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
