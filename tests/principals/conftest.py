"""Fixtures of the principals tests: stored findings come from the findings tests' fixture."""

from tests.findings.conftest import store  # noqa: F401 - a fixture, used by name
