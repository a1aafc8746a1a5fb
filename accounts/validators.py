"""Validation of what identifies a member account: its id, role ARN, regions and ExternalId.

The form, the `add_account` command and the API all validate through these functions, so a value is
refused the same way, with a message naming the field, wherever it comes from.
"""

from __future__ import annotations

import re
from functools import cache

import botocore.session
from django.core.exceptions import ValidationError

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
# arn:<partition>:iam::<account>:role/<path><name>; path is "/" or /segments/, names are 1-64 chars of
# [\w+=,.@-] (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html).
ROLE_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):role/"
    r"(?P<path>(?:[\x21-\x7e]+/)*)(?P<name>[\w+=,.@-]{1,64})$"
)
# sts:AssumeRole ExternalId: 2-1224 chars of [\w+=,.@:/-]
# (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


def validate_account_id(value: str) -> None:
    """Refuse anything but a 12-digit AWS account id."""
    if not isinstance(value, str) or not ACCOUNT_ID_RE.fullmatch(value):
        raise ValidationError(
            "An AWS account id is exactly 12 digits, got %(value)r.",
            code="invalid_account_id",
            params={"value": value},
        )


def validate_role_arn(value: str, *, account_id: str | None = None) -> None:
    """Refuse a malformed IAM role ARN, or one that belongs to another account than `account_id`."""
    match = ROLE_ARN_RE.fullmatch(value or "")
    if not match:
        raise ValidationError(
            "%(value)r is not an IAM role ARN "
            "(expected arn:aws:iam::<12-digit account>:role/<path><name>).",
            code="invalid_role_arn",
            params={"value": value},
        )
    if account_id is not None and match.group("account") != account_id:
        raise ValidationError(
            "Role ARN %(value)r belongs to account %(other)s, not %(account)s.",
            code="role_arn_account_mismatch",
            params={"value": value, "other": match.group("account"), "account": account_id},
        )


def validate_external_id(value: str) -> None:
    """Refuse an ExternalId that sts:AssumeRole would reject."""
    if not EXTERNAL_ID_RE.fullmatch(value or ""):
        raise ValidationError(
            "An ExternalId is 2 to 1224 characters of letters, digits and +=,.@:/-, got %(value)r.",
            code="invalid_external_id",
            params={"value": value},
        )


@cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows, across all partitions."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def validate_regions(value: list[str]) -> None:
    """Refuse an empty region list or a region botocore does not know."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Give at least one region.", code="no_regions")
    unknown = sorted(r for r in value if not isinstance(r, str) or r not in known_regions())
    if unknown:
        raise ValidationError(
            "Unknown region(s): %(unknown)s.",
            code="unknown_region",
            params={"unknown": ", ".join(map(str, unknown))},
        )


def validate_sources(value: list[str]) -> None:
    """Refuse a source Watchpost does not collect."""
    from accounts.choices import Source

    if not isinstance(value, list):
        raise ValidationError("Sources are a list.", code="invalid_sources")
    unknown = sorted(str(s) for s in value if s not in Source.values)
    if unknown:
        raise ValidationError(
            "Unknown source(s): %(unknown)s (known: %(known)s).",
            code="unknown_source",
            params={"unknown": ", ".join(unknown), "known": ", ".join(Source.values)},
        )


def validate_administers(value: list[str]) -> None:
    """Refuse a source that cannot be read through a delegated administrator."""
    from accounts.source_registry import admin_capable_sources

    if not isinstance(value, list):
        raise ValidationError("Administered sources are a list.", code="invalid_administers")
    capable = [d.name for d in admin_capable_sources()]
    unknown = sorted(str(s) for s in value if s not in capable)
    if unknown:
        raise ValidationError(
            "Not a source with a delegated administrator: %(unknown)s (known: %(known)s).",
            code="unknown_administered_source",
            params={"unknown": ", ".join(unknown), "known": ", ".join(capable)},
        )


def validate_tags(value: dict[str, str]) -> None:
    """Refuse tags that are not a flat mapping of short strings."""
    if not isinstance(value, dict):
        raise ValidationError("Tags are a mapping of key to value.", code="invalid_tags")
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, str) or not key or len(key) > 128:
            raise ValidationError("Tag %(key)r is not a valid key=value pair.", params={"key": key})
        if len(val) > 256:
            raise ValidationError(
                "Tag %(key)r has a value over 256 characters.", params={"key": key}
            )
