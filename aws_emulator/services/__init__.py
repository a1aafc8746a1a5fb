"""Emulated AWS services; importing this package registers every operation handler."""

from . import budgets, ce, cloudtrail, delegation, guardduty, inspector2, macie2, organizations, sts

__all__ = [
    "budgets",
    "ce",
    "cloudtrail",
    "delegation",
    "guardduty",
    "inspector2",
    "macie2",
    "organizations",
    "sts",
]
