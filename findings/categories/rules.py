"""The product brief's 13 alert categories (Macie Classic's), computed for Macie and GuardDuty.

Macie Classic, which had them, is retired; this module is the one place that maps a finding to its
primary category (or none: "Uncategorised") and its secondary tags, as the table of docs/domain.md, Alert categories, says.
GuardDuty rules are tried in the order written there: the first match wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

ANONYMOUS_ACCESS = "Anonymous access"
CONFIGURATION_COMPLIANCE = "Configuration compliance"
CREDENTIALS_LOSS = "Credentials loss"
DATA_COMPLIANCE = "Data compliance"
FILE_HOSTING = "File hosting"
IDENTITY_ENUMERATION = "Identity enumeration"
INFORMATION_LOSS = "Information loss"
LOCATION_ANOMALY = "Location anomaly"
OPEN_PERMISSIONS = "Open permissions"
PRIVILEGE_ESCALATION = "Privilege escalation"
RANSOMWARE = "Ransomware"
SERVICE_DISRUPTION = "Service disruption"
SUSPICIOUS_ACCESS = "Suspicious access"

# Macie Classic's own spelling and order.
CATEGORIES: tuple[str, ...] = (
    ANONYMOUS_ACCESS,
    CONFIGURATION_COMPLIANCE,
    CREDENTIALS_LOSS,
    DATA_COMPLIANCE,
    FILE_HOSTING,
    IDENTITY_ENUMERATION,
    INFORMATION_LOSS,
    LOCATION_ANOMALY,
    OPEN_PERMISSIONS,
    PRIVILEGE_ESCALATION,
    RANSOMWARE,
    SERVICE_DISRUPTION,
    SUSPICIOUS_ACCESS,
)
UNCATEGORISED = "Uncategorised"


@dataclass(frozen=True)
class Categorisation:
    """A finding's primary category (None: uncategorised) and its secondary tags."""

    primary: str | None
    secondary: tuple[str, ...] = ()


# macie2 type -> (primary, secondary).
MACIE_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "Policy:IAMUser/S3BlockPublicAccessDisabled": (OPEN_PERMISSIONS, (CONFIGURATION_COMPLIANCE,)),
    "Policy:IAMUser/S3BucketEncryptionDisabled": (CONFIGURATION_COMPLIANCE, (DATA_COMPLIANCE,)),
    "Policy:IAMUser/S3BucketPublic": (OPEN_PERMISSIONS, (INFORMATION_LOSS,)),
    "Policy:IAMUser/S3BucketSharedExternally": (OPEN_PERMISSIONS, (INFORMATION_LOSS,)),
    "Policy:IAMUser/S3BucketReplicatedExternally": (INFORMATION_LOSS, (OPEN_PERMISSIONS,)),
    "Policy:IAMUser/S3BucketSharedWithCloudFront": (OPEN_PERMISSIONS, ()),
    "SensitiveData:S3Object/Credentials": (DATA_COMPLIANCE, (CREDENTIALS_LOSS,)),
    "SensitiveData:S3Object/Financial": (DATA_COMPLIANCE, ()),
    "SensitiveData:S3Object/Personal": (DATA_COMPLIANCE, ()),
    "SensitiveData:S3Object/CustomIdentifier": (DATA_COMPLIANCE, ()),
    "SensitiveData:S3Object/Multiple": (DATA_COMPLIANCE, ()),
}

# GuardDuty type patterns -> category, in the order of docs/domain.md, Alert categories (first match wins).
GUARDDUTY_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("*TorIPCaller*", "*TorClient*", "*TorRelay*"), ANONYMOUS_ACCESS),
    (("*MaliciousIPCaller*", "PenTest:*", "*BruteForce*"), SUSPICIOUS_ACCESS),
    (("CredentialAccess:*", "*CredentialExfiltration*"), CREDENTIALS_LOSS),
    (("Discovery:*", "Recon:*"), IDENTITY_ENUMERATION),
    (("PrivilegeEscalation:*", "Persistence:IAMUser/*"), PRIVILEGE_ESCALATION),
    (("Exfiltration:*",), INFORMATION_LOSS),
    (
        (
            "Impact:S3/AnomalousBehavior.Delete*",
            "Impact:S3/AnomalousBehavior.Write*",
            "AttackSequence:S3/CompromisedData",
        ),
        RANSOMWARE,
    ),
    (("*DenialOfService*", "Impact:*"), SERVICE_DISRUPTION),
    (("*MaliciousFile*", "Trojan:*", "Backdoor:*/C&C*", "CryptoCurrency:*"), FILE_HOSTING),
    (("Stealth:*", "Policy:IAMUser/RootCredentialUsage"), CONFIGURATION_COMPLIANCE),
    (("Policy:S3/*PublicAccess*", "Policy:S3/*AnonymousAccess*"), OPEN_PERMISSIONS),
    (("AttackSequence:IAM/*",), CREDENTIALS_LOSS),
    (("AttackSequence:S3/*",), RANSOMWARE),
    (("AttackSequence:*",), SUSPICIOUS_ACCESS),
)


def categorise(*, source: str, finding_type: str, raw: Mapping[str, Any]) -> Categorisation:
    """The category of a finding of `source` ("guardduty", "macie", other: none) and `type`."""
    if source == "guardduty":
        return _guardduty(finding_type)
    if source == "macie":
        return _macie(finding_type, raw)
    return Categorisation(None)


def _guardduty(finding_type: str) -> Categorisation:
    for patterns, category in GUARDDUTY_RULES:
        if any(fnmatchcase(finding_type, pattern) for pattern in patterns):
            return Categorisation(category)
    return Categorisation(None)


def _macie(finding_type: str, raw: Mapping[str, Any]) -> Categorisation:
    if finding_type not in MACIE_TABLE:
        return Categorisation(None)
    primary, secondary = MACIE_TABLE[finding_type]
    tags = list(secondary)
    if not finding_type.startswith("SensitiveData:"):
        return Categorisation(primary, tuple(tags))
    has_credentials = finding_type.endswith("/Credentials") or (
        finding_type.endswith("/Multiple") and "CREDENTIALS" in macie_sensitive_categories(raw)
    )
    if has_credentials and CREDENTIALS_LOSS not in tags:
        tags.append(CREDENTIALS_LOSS)
    if macie_is_public(raw):
        # Escalation: sensitive data in a public place adds Open permissions and Information loss;
        # credentials there make Credentials loss the primary.
        tags += [t for t in (OPEN_PERMISSIONS, INFORMATION_LOSS) if t not in tags]
        if has_credentials:
            tags = [DATA_COMPLIANCE if t == CREDENTIALS_LOSS else t for t in tags]
            primary = CREDENTIALS_LOSS
    return Categorisation(primary, tuple(tags))


def macie_sensitive_categories(raw: Mapping[str, Any]) -> list[str]:
    """The sensitive data categories (CREDENTIALS, FINANCIAL_INFORMATION...) a Macie finding found."""
    result = (raw.get("classificationDetails") or {}).get("result") or {}
    return [str(s.get("category", "")) for s in result.get("sensitiveData") or []]


def macie_is_public(raw: Mapping[str, Any]) -> bool:
    """True when the object is public or its bucket's effective permission is PUBLIC."""
    resources = raw.get("resourcesAffected") or {}
    s3_object = resources.get("s3Object") or {}
    bucket = resources.get("s3Bucket") or {}
    effective = (bucket.get("publicAccess") or {}).get("effectivePermission")
    return bool(s3_object.get("publicAccess")) or effective == "PUBLIC"


# Macie policy findings that say a bucket is shared outside the account (the Macie page's
# "exposed buckets" counts these with the public ones).
SHARED_TYPES = (
    "Policy:IAMUser/S3BucketSharedExternally",
    "Policy:IAMUser/S3BucketReplicatedExternally",
    "Policy:IAMUser/S3BucketSharedWithCloudFront",
)
