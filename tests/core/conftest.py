"""Fixtures of the core tests: the findings tests' store."""

from tests.findings.conftest import store  # noqa: F401
