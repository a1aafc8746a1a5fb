"""The findings page's table rows, made in Python once per row instead of by template tags.

A page of 50 findings rendered `{% url %}`, two `|date` filters, three `get_..._display` and a
`|truncatechars` per row: most of the page's time (bench/reads.py, the HTML findings page). The same
text is made here with plain string operations; the template still escapes every value (nothing from
AWS is trusted), only where the text comes from changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from findings.choices import AwsState, FindingStatus, Severity

RESOURCE_CHARS = 60  # as `|truncatechars:60` did


@dataclass(frozen=True, slots=True)
class FindingRow:
    """What one row of the findings table shows (raw text: the template escapes it)."""

    pk: int
    url: str
    severity: str
    severity_label: str
    severity_score: float | None
    title: str
    type: str
    account_id: str
    account_name: str
    region: str
    resource_type: str
    resource_id: str
    status: str
    status_label: str
    aws_state_label: str  # empty when AWS says active (the row then says nothing of it)
    service_count: int
    last_seen_iso: str
    last_seen_text: str
    sla_due_iso: str  # empty when the finding has no SLA (informational, or not open)
    sla_due_text: str
    sla_breached: bool


def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def finding_rows(findings: Iterable[Any]) -> list[FindingRow]:
    """Rows of the table for Finding instances that have their account loaded; times in the
    current zone, as the `|date` filter showed them."""
    severities = _labels(Severity)
    statuses = _labels(FindingStatus)
    states = _labels(AwsState)
    detail = reverse("findings:finding_detail", args=[0])[:-2]  # ".../0/" less "0/"
    zone = timezone.get_current_timezone()
    rows = []
    for f in findings:
        seen = f.last_seen.astimezone(zone) if f.last_seen is not None else None
        # findings.governance.sla.with_sla annotates both (absent when the queryset was not).
        due = getattr(f, "sla_due", None)
        due = due.astimezone(zone) if due is not None else None
        rows.append(
            FindingRow(
                pk=f.pk,
                url=f"{detail}{f.pk}/",
                severity=f.severity,
                severity_label=severities.get(f.severity, f.severity),
                severity_score=f.severity_score,
                title=f.title or f.type,
                type=f.type,
                account_id=f.account.account_id,
                account_name=f.account.name,
                region=f.region,
                resource_type=f.resource_type,
                resource_id=Truncator(f.resource_id).chars(RESOURCE_CHARS),
                status=f.status,
                status_label=statuses.get(f.status, f.status),
                aws_state_label=""
                if f.aws_state == AwsState.ACTIVE
                else states.get(f.aws_state, f.aws_state),
                service_count=f.service_count,
                last_seen_iso=seen.isoformat() if seen else "",
                last_seen_text=seen.strftime("%Y-%m-%d %H:%M") if seen else "",
                sla_due_iso=due.isoformat() if due else "",
                sla_due_text=due.strftime("%Y-%m-%d") if due else "",
                sla_breached=bool(getattr(f, "sla_breached", False)),
            )
        )
    return rows
