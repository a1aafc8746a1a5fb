"""The 13 alert categories: the rules (rules.py), the recategorise service, the pages' report,
views and charts. `from findings.categories import categorise` reads the rules."""

from findings.categories.rules import CATEGORIES, UNCATEGORISED, Categorisation, categorise

__all__ = ["CATEGORIES", "UNCATEGORISED", "Categorisation", "categorise"]
