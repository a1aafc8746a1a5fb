"""Choices of the principals app, with the values the API fixes (docs/api.md, principals/)."""

from __future__ import annotations

from django.db import models


class UserTier(models.TextChoices):
    """A principal's tier from its CloudTrail activity (principals.tiers); AWS services have none."""

    PLATINUM = "platinum", "Platinum"
    GOLD = "gold", "Gold"
    SILVER = "silver", "Silver"
    BRONZE = "bronze", "Bronze"


class IdentityType(models.TextChoices):
    """Who made a call, as the API names CloudTrail's userIdentity types."""

    ROOT = "root", "Root"
    IAM_USER = "iam_user", "IAM user"
    ASSUMED_ROLE = "assumed_role", "Assumed role"
    FEDERATED_USER = "federated_user", "Federated user"
    AWS_ACCOUNT = "aws_account", "AWS account"
    AWS_SERVICE = "aws_service", "AWS service"


class EventClass(models.TextChoices):
    """What a CloudTrail event is worth for tiers (principals.tiers.event_class)."""

    HIGH_RISK = "high_risk", "High-risk change"
    WRITE = "write", "Change"
    SENSITIVE_READ = "sensitive_read", "Sensitive read"
    READ = "read", "Read"


class TierRule(models.TextChoices):
    """Which rule set a principal's tier (its evidence says which events)."""

    ROOT_ACTIVITY = "root_activity", "Root activity"
    HIGH_RISK = "high_risk", "Successful high-risk call"
    WRITE = "write", "Successful change"
    SENSITIVE_READ = "sensitive_read", "Successful sensitive read"
    READ_VOLUME = "read_volume", "High volume of reads"
    OTHER = "other", "No change and no sensitive read"
    AWS_SERVICE = "aws_service", "AWS service: no tier"
