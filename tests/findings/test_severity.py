"""GuardDuty's score becomes our band in one place, with no gaps between bands."""

import pytest

from findings.choices import Severity
from findings.severity import severity_from_score, severity_rank


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (10.0, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.99, Severity.HIGH),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (6.99, Severity.MEDIUM),
        (6.9, Severity.MEDIUM),
        (4.0, Severity.MEDIUM),
        (3.99, Severity.LOW),
        (3.9, Severity.LOW),
        (1.0, Severity.LOW),
        (0.1, Severity.LOW),
        (None, Severity.INFORMATIONAL),
    ],
)
def test_every_band_boundary(score, band):
    assert severity_from_score(score) == band


def test_ranks_sort_worst_first():
    ranks = [severity_rank(s) for s in Severity.values]
    assert ranks == sorted(ranks, reverse=True)
