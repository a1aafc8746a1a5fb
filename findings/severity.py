"""The one place a severity score becomes our band.

GuardDuty's bands (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html):
Critical 9.0-10.0 (attack sequences, since Dec 2024), High 7.0-8.9, Medium 4.0-6.9, Low 1.0-3.9. The
documented ranges leave gaps (8.95?), so we band without gaps: critical >= 9.0, high >= 7.0,
medium >= 4.0, low below.
"""

from __future__ import annotations

from findings.choices import SEVERITY_RANK, Severity

# (lowest score of the band, band), highest first.
SCORE_BANDS: tuple[tuple[float, Severity], ...] = (
    (9.0, Severity.CRITICAL),
    (7.0, Severity.HIGH),
    (4.0, Severity.MEDIUM),
)


def severity_from_score(score: float | None) -> Severity:
    """The band of a numeric severity; `None` (AWS gave no score) is informational."""
    if score is None:
        return Severity.INFORMATIONAL
    for lowest, band in SCORE_BANDS:
        if score >= lowest:
            return band
    return Severity.LOW


def severity_rank(severity: str) -> int:
    """A number to sort bands by, the worst highest (critical 4 ... informational 0)."""
    return SEVERITY_RANK[Severity(severity)]


# Labels of sources that give one (Macie: Low / Medium / High; Inspector: CRITICAL ... UNTRIAGED,
# the vendor has not scored it yet: our informational band, the label kept).
LABEL_BANDS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "informational": Severity.INFORMATIONAL,
    "untriaged": Severity.INFORMATIONAL,
}


def severity_of(*, source: str, score: float | None, label: str) -> Severity:
    """A finding's band: GuardDuty's from its score, the others' from their label."""
    if source == "guardduty":
        return severity_from_score(score)
    return LABEL_BANDS.get(label.strip().lower(), Severity.INFORMATIONAL)
