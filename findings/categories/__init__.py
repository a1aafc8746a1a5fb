"""The 13 alert categories: the rules (rules.py), the recategorise service, the pages' report,
views and charts. `from findings.categories import categorise` (and the rest below) reads the rules."""

from findings.categories.rules import (
    CATEGORIES,
    SHARED_TYPES,
    UNCATEGORISED,
    Categorisation,
    categorise,
    macie_is_public,
    macie_sensitive_categories,
)

__all__ = [
    "CATEGORIES",
    "SHARED_TYPES",
    "UNCATEGORISED",
    "Categorisation",
    "categorise",
    "macie_is_public",
    "macie_sensitive_categories",
]
