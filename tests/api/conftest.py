"""Fixtures of the API tests: the findings tests' `store`."""

from tests.findings.conftest import store  # noqa: F401 - the findings tests' fixture
