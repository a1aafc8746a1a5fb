"""Fixtures of the governance tests: the findings tests' `store`."""

from tests.findings.conftest import store  # noqa: F401 - the findings tests' fixture
