"""The 13 alert categories: a test for every row of the table in docs/domain.md and every GuardDuty rule."""

import pytest

from findings.categories.rules import (
    CATEGORIES,
    MACIE_TABLE,
    Categorisation,
    categorise,
)


def macie(finding_type, *, public_object=False, bucket_permission="NOT_PUBLIC", categories=()):
    raw = {
        "resourcesAffected": {
            "s3Object": {"publicAccess": public_object},
            "s3Bucket": {"publicAccess": {"effectivePermission": bucket_permission}},
        },
        "classificationDetails": {
            "result": {"sensitiveData": [{"category": c, "totalCount": 1} for c in categories]}
        },
    }
    return categorise(source="macie", finding_type=finding_type, raw=raw)


def test_the_thirteen_categories_in_macie_classics_spelling() -> None:
    assert len(CATEGORIES) == 13
    assert CATEGORIES[0] == "Anonymous access" and CATEGORIES[-1] == "Suspicious access"


@pytest.mark.parametrize(
    ("finding_type", "primary", "secondary"),
    [
        (
            "Policy:IAMUser/S3BlockPublicAccessDisabled",
            "Open permissions",
            ("Configuration compliance",),
        ),
        (
            "Policy:IAMUser/S3BucketEncryptionDisabled",
            "Configuration compliance",
            ("Data compliance",),
        ),
        ("Policy:IAMUser/S3BucketPublic", "Open permissions", ("Information loss",)),
        ("Policy:IAMUser/S3BucketSharedExternally", "Open permissions", ("Information loss",)),
        ("Policy:IAMUser/S3BucketReplicatedExternally", "Information loss", ("Open permissions",)),
        ("Policy:IAMUser/S3BucketSharedWithCloudFront", "Open permissions", ()),
        ("SensitiveData:S3Object/Credentials", "Data compliance", ("Credentials loss",)),
        ("SensitiveData:S3Object/Financial", "Data compliance", ()),
        ("SensitiveData:S3Object/Personal", "Data compliance", ()),
        ("SensitiveData:S3Object/CustomIdentifier", "Data compliance", ()),
        ("SensitiveData:S3Object/Multiple", "Data compliance", ()),
    ],
)
def test_every_macie_row(finding_type, primary, secondary) -> None:
    assert macie(finding_type) == Categorisation(primary, secondary)


def test_every_macie_type_of_the_table_is_tested() -> None:
    assert len(MACIE_TABLE) == 11  # macie2's 11 finding types


def test_multiple_with_credentials_adds_credentials_loss() -> None:
    assert macie(
        "SensitiveData:S3Object/Multiple", categories=["PERSONAL_INFORMATION", "CREDENTIALS"]
    ) == (Categorisation("Data compliance", ("Credentials loss",)))
    assert (
        macie("SensitiveData:S3Object/Multiple", categories=["FINANCIAL_INFORMATION"]).secondary
        == ()
    )


@pytest.mark.parametrize("where", [{"public_object": True}, {"bucket_permission": "PUBLIC"}])
def test_sensitive_data_in_a_public_place_adds_open_permissions_and_information_loss(where) -> None:
    assert macie("SensitiveData:S3Object/Personal", **where) == Categorisation(
        "Data compliance", ("Open permissions", "Information loss")
    )


@pytest.mark.parametrize("where", [{"public_object": True}, {"bucket_permission": "PUBLIC"}])
def test_credentials_in_a_public_place_make_credentials_loss_primary(where) -> None:
    result = macie("SensitiveData:S3Object/Credentials", **where)
    assert result.primary == "Credentials loss"
    assert set(result.secondary) == {"Data compliance", "Open permissions", "Information loss"}
    multiple = macie("SensitiveData:S3Object/Multiple", categories=["CREDENTIALS"], **where)
    assert multiple.primary == "Credentials loss"


def test_a_policy_finding_on_a_public_bucket_is_not_escalated() -> None:
    assert macie("Policy:IAMUser/S3BucketPublic", bucket_permission="PUBLIC") == Categorisation(
        "Open permissions", ("Information loss",)
    )


def test_an_unknown_macie_type_is_uncategorised() -> None:
    assert macie("SensitiveData:S3Object/Something") == Categorisation(None)


@pytest.mark.parametrize(
    ("finding_type", "category"),
    [
        ("UnauthorizedAccess:IAMUser/TorIPCaller", "Anonymous access"),
        ("Recon:IAMUser/TorIPCaller", "Anonymous access"),  # Tor wins whatever the purpose
        ("UnauthorizedAccess:EC2/TorClient", "Anonymous access"),
        ("UnauthorizedAccess:EC2/TorRelay", "Anonymous access"),
        ("Recon:IAMUser/MaliciousIPCaller", "Suspicious access"),  # before Recon:*
        ("UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", "Suspicious access"),
        ("PenTest:IAMUser/KaliLinux", "Suspicious access"),
        ("UnauthorizedAccess:EC2/SSHBruteForce", "Suspicious access"),
        ("CredentialAccess:IAMUser/AnomalousBehavior", "Credentials loss"),
        (
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "Credentials loss",
        ),
        ("Discovery:S3/AnomalousBehavior", "Identity enumeration"),
        ("Recon:EC2/PortProbeUnprotectedPort", "Identity enumeration"),
        ("PrivilegeEscalation:IAMUser/AnomalousBehavior", "Privilege escalation"),
        ("Persistence:IAMUser/AnomalousBehavior", "Privilege escalation"),
        ("Exfiltration:S3/AnomalousBehavior", "Information loss"),
        ("Impact:S3/AnomalousBehavior.Delete", "Ransomware"),
        ("Impact:S3/AnomalousBehavior.Write", "Ransomware"),
        ("AttackSequence:S3/CompromisedData", "Ransomware"),
        ("Backdoor:EC2/DenialOfService.Tcp", "Service disruption"),
        ("Impact:EC2/WinRMBruteForce", "Suspicious access"),  # brute force comes first
        ("Impact:IAMUser/AnomalousBehavior", "Service disruption"),
        ("Execution:EC2/MaliciousFile", "File hosting"),
        ("Trojan:EC2/DropPoint", "File hosting"),
        ("Backdoor:EC2/C&CActivity.B!DNS", "File hosting"),
        ("CryptoCurrency:EC2/BitcoinTool.B!DNS", "File hosting"),
        ("Stealth:IAMUser/CloudTrailLoggingDisabled", "Configuration compliance"),
        ("Policy:IAMUser/RootCredentialUsage", "Configuration compliance"),
        ("Policy:S3/BucketBlockPublicAccessDisabled", "Open permissions"),
        ("Policy:S3/BucketAnonymousAccessGranted", "Open permissions"),
        ("AttackSequence:IAM/CompromisedCredentials", "Credentials loss"),
        ("AttackSequence:S3/SomethingElse", "Ransomware"),
        ("AttackSequence:EKS/CompromisedCluster", "Suspicious access"),
        ("UnauthorizedAccess:EC2/MetadataDNSRebind", None),
        ("Policy:IAMUser/S3BucketPublic", None),  # a Macie type name means nothing in GuardDuty
    ],
)
def test_every_guardduty_rule_in_order(finding_type, category) -> None:
    assert categorise(source="guardduty", finding_type=finding_type, raw={}) == Categorisation(
        category
    )


def test_inspector_findings_have_no_category() -> None:
    assert (
        categorise(source="inspector", finding_type="PACKAGE_VULNERABILITY", raw={}).primary is None
    )


@pytest.mark.django_db
def test_stored_findings_get_their_category_and_the_command_recomputes_them(account_a, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from findings.categories import rules as categories
    from findings.models import Finding, FindingEvent
    from findings.services import finding_upsert_many
    from tests.findings.conftest import record

    finding_upsert_many(
        records=[
            record(type="CryptoCurrency:EC2/BitcoinTool.B!DNS"),
            record(type="Trojan:EC2/DropPoint"),
        ],
        default_account=account_a,
    )
    assert set(Finding.objects.values_list("category", flat=True)) == {"File hosting"}
    before = {f.pk: f.updated_at for f in Finding.objects.all()}
    out = StringIO()
    call_command("recategorise_findings", stdout=out)
    assert out.getvalue().strip() == "0 finding(s) recategorised"
    assert {f.pk: f.updated_at for f in Finding.objects.all()} == before  # nothing rewritten

    rules = ((("CryptoCurrency:*",), "Suspicious access"), *categories.GUARDDUTY_RULES)
    monkeypatch.setattr(categories, "GUARDDUTY_RULES", rules)
    call_command("recategorise_findings", stdout=out)
    crypto = Finding.objects.get(type__startswith="CryptoCurrency")
    assert crypto.category == "Suspicious access"
    assert crypto.updated_at > before[crypto.pk]
    assert FindingEvent.objects.filter(finding=crypto, changes__has_key="category").exists()
    assert (
        Finding.objects.get(type__startswith="Trojan").updated_at
        == before[Finding.objects.get(type__startswith="Trojan").pk]
    )
