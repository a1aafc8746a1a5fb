"""Choices of the findings app, with the values the API fixes (docs/api.md: lower-case words)."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    """Our severity band, the same for every source (see findings.severity for GuardDuty's scores)."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFORMATIONAL = "informational", "Informational"


# Sorting by severity: the higher, the worse (ordering=-severity puts critical first).
SEVERITY_RANK: dict[str, int] = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFORMATIONAL: 0,
}


class FindingSource(models.TextChoices):
    """The AWS service a finding comes from."""

    GUARDDUTY = "guardduty", "GuardDuty"
    MACIE = "macie", "Macie"
    INSPECTOR = "inspector", "Inspector"


class FindingStatus(models.TextChoices):
    """Our workflow. Collection never sets it, except to reopen a finding AWS sees active again."""

    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    SUPPRESSED = "suppressed", "Suppressed"
    FALSE_POSITIVE = "false_positive", "False positive"
    # Set only by a live risk acceptance (findings.governance.acceptance), never by a person.
    ACCEPTED = "accepted", "Accepted risk"


# What a person may set (a risk acceptance alone sets `accepted`: findings.governance.acceptance).
WORKFLOW_STATUS_CHOICES: list[tuple[str, str]] = [
    (value, label) for value, label in FindingStatus.choices if value != FindingStatus.ACCEPTED
]
WORKFLOW_STATUSES: tuple[str, ...] = tuple(value for value, _ in WORKFLOW_STATUS_CHOICES)
# "Open" (docs/api.md, Findings): aws_state active and status one of these.
OPEN_STATUSES: tuple[str, ...] = (FindingStatus.OPEN, FindingStatus.ACKNOWLEDGED)
# Statuses a finding leaves when AWS reports new activity on it (its Service.Count grows).
REOPENABLE_STATUSES: tuple[str, ...] = (FindingStatus.RESOLVED, FindingStatus.FALSE_POSITIVE)


class AwsState(models.TextChoices):
    """What AWS says of a finding; never overwritten by our workflow, nor the reverse."""

    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"
    SUPPRESSED = "suppressed", "Suppressed"
    CLOSED = "closed", "Closed"
    GONE = "gone", "Gone"


class FindingEventKind(models.TextChoices):
    """What happened to a finding, in its history."""

    CREATED = "created", "First collected"
    AWS_UPDATED = "aws_updated", "Updated by AWS"
    ARCHIVED = "archived", "Archived in AWS"
    UNARCHIVED = "unarchived", "Unarchived in AWS"
    GONE = "gone", "No longer returned by AWS"
    RETURNED = "returned", "Returned by AWS again"
    REOPENED = "reopened", "Reopened: new activity"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assignee changed"
    TICKET_CHANGED = "ticket_changed", "Ticket changed"
    NOTE = "note", "Note"
    ACCEPTED = "accepted", "Risk accepted"
    ACCEPTANCE_ENDED = "acceptance_ended", "Risk acceptance ended"


# Kinds a person's decisions write (findings.services.workflow, risk acceptances); the rest come
# from collection.
WORKFLOW_EVENT_KINDS: tuple[str, ...] = (
    FindingEventKind.STATUS_CHANGED,
    FindingEventKind.ASSIGNED,
    FindingEventKind.TICKET_CHANGED,
    FindingEventKind.NOTE,
    FindingEventKind.ACCEPTED,
    FindingEventKind.ACCEPTANCE_ENDED,
)


class VulnerabilityType(models.TextChoices):
    """Inspector's finding types, as the filters name them; the value is our word, `aws` AWS's."""

    PACKAGE_VULNERABILITY = "package_vulnerability", "Package vulnerability"
    NETWORK_REACHABILITY = "network_reachability", "Network reachability"
    CODE_VULNERABILITY = "code_vulnerability", "Code vulnerability"

    @property
    def aws(self) -> str:
        """AWS's spelling, as stored in Finding.type (PACKAGE_VULNERABILITY...)."""
        return self.value.upper()


class FixAvailable(models.TextChoices):
    """Inspector's fixAvailable: a fix for every vulnerable package, some of them, or none."""

    YES = "yes", "Yes"
    PARTIAL = "partial", "Partial"
    NO = "no", "No"
