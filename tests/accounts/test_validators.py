"""Validation of account ids, role ARNs, regions, sources and ExternalIds."""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    validate_account_id,
    validate_external_id,
    validate_regions,
    validate_role_arn,
    validate_sources,
)


@pytest.mark.parametrize("value", ["123456789012", "000000000001"])
def test_twelve_digit_account_id_is_accepted(value: str) -> None:
    validate_account_id(value)


@pytest.mark.parametrize(
    "value", ["12345678901", "1234567890123", "12345678901a", "", " 123456789012"]
)
def test_other_account_ids_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="12 digits"):
        validate_account_id(value)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/WatchpostReadOnly",
        "arn:aws-cn:iam::123456789012:role/security/Watchpost",
        "arn:aws-us-gov:iam::123456789012:role/a/b/c/Role+=,.@-_x",
    ],
)
def test_role_arns_of_every_partition_with_paths_are_accepted(arn: str) -> None:
    validate_role_arn(arn, account_id="123456789012")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam:us-east-1:123456789012:role/X",
        "arn:aws-iso:iam::123456789012:role/X",
        "arn:aws:iam::12345678901:role/X",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/" + "x" * 65,
        "arn:aws:iam::123456789012:role/bad name",
        "not an arn",
    ],
)
def test_malformed_role_arns_are_refused(arn: str) -> None:
    with pytest.raises(ValidationError, match="not an IAM role ARN"):
        validate_role_arn(arn)


def test_role_arn_of_another_account_is_refused() -> None:
    with pytest.raises(ValidationError, match="belongs to account 999999999999"):
        validate_role_arn("arn:aws:iam::999999999999:role/X", account_id="123456789012")


def test_regions_come_from_botocore() -> None:
    validate_regions(["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"])
    with pytest.raises(ValidationError, match="mars-1"):
        validate_regions(["us-east-1", "mars-1"])
    with pytest.raises(ValidationError, match="at least one"):
        validate_regions([])


def test_unknown_source_is_refused() -> None:
    validate_sources(["guardduty", "costs"])
    with pytest.raises(ValidationError, match="inspector-classic"):
        validate_sources(["inspector-classic"])


def test_external_id_charset_and_length() -> None:
    validate_external_id("watchpost-abc:/=,.@+")
    for bad in ["x", "has space", "x" * 1225]:
        with pytest.raises(ValidationError):
            validate_external_id(bad)
