"""Receivers of the findings and costs signals: each turns an event into queued deliveries.

webhooks depends on findings and costs, never the reverse: they send their own signals
(findings.signals, costs.signals) after commit, and this module listens.
"""

from __future__ import annotations

from typing import Any

from costs.api.serializers import BudgetSerializer, CostAnomalySerializer
from costs.models import Budget, CostAnomaly
from costs.selectors import anomaly_redact
from costs.signals import anomaly_created, budget_alarm
from findings.api.serializers import FindingSerializer
from findings.governance.sla import with_sla
from findings.models import Finding
from findings.signals import finding_changed
from webhooks.choices import WebhookEvent
from webhooks.models import WebhookSubscription
from webhooks.services import Occurrence, deliveries_enqueue

__all__ = ["receivers_connect"]

_CHUNK = 500


def _wanted(event: str) -> bool:
    """Whether any active subscription asks for `event` (one query; most syncs stop here)."""
    return any(
        event in (events or [])
        for events in WebhookSubscription.objects.filter(active=True).values_list(
            "events", flat=True
        )
    )


def on_finding_changed(sender: Any, kind: str, finding_ids: list[int], **_: Any) -> None:
    """finding.created / updated / reopened / resolved for each finding concerned."""
    event = f"finding.{kind}"
    if event not in WebhookEvent.values or not _wanted(event):
        return
    for start in range(0, len(finding_ids), _CHUNK):
        findings = (
            with_sla(Finding.objects.filter(pk__in=finding_ids[start : start + _CHUNK]))
            .select_related("account", "assignee", "vulnerability")
            .defer("raw")
            .order_by("pk")
        )
        occurrences = [
            Occurrence(
                account_id=f.account.account_id,
                severity=f.severity,
                source=f.source,
                data={"finding": FindingSerializer(f).data},
            )
            for f in findings
        ]
        deliveries_enqueue(event=event, occurrences=occurrences)


def _anomaly_for_owner(data: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """An anomaly.created payload with only the root causes of accounts the owner sees, and its
    totals only if they see every account of it (costs.selectors.anomaly_redact)."""
    data["anomaly"] = anomaly_redact(data["anomaly"], visible)
    return data


def on_anomaly_created(sender: Any, anomaly_ids: list[int], **_: Any) -> None:
    """anomaly.created for each new cost anomaly (severity: ours, derived from its impact)."""
    if not _wanted(WebhookEvent.ANOMALY_CREATED):
        return
    anomalies = CostAnomaly.objects.filter(pk__in=anomaly_ids)
    occurrences = [
        Occurrence(
            account_id=a.account_id,
            severity=a.derived_severity,
            source=None,
            data={"anomaly": dict(CostAnomalySerializer(a).data)},
            redact=_anomaly_for_owner,
        )
        for a in anomalies.order_by("pk")
    ]
    deliveries_enqueue(event=WebhookEvent.ANOMALY_CREATED, occurrences=occurrences)


def on_budget_alarm(sender: Any, budget_ids: list[int], **_: Any) -> None:
    """budget.alarm for each budget with a notification newly in ALARM."""
    if not _wanted(WebhookEvent.BUDGET_ALARM):
        return
    budgets = Budget.objects.filter(pk__in=budget_ids).select_related("account").order_by("pk")
    occurrences = [
        Occurrence(
            account_id=b.account.account_id,
            severity=None,
            source=None,
            data={"budget": BudgetSerializer(b).data},
        )
        for b in budgets
    ]
    deliveries_enqueue(event=WebhookEvent.BUDGET_ALARM, occurrences=occurrences)


def receivers_connect() -> None:
    """Connect the receivers (from WebhooksConfig.ready), once."""
    finding_changed.connect(on_finding_changed, dispatch_uid="webhooks.finding_changed")
    anomaly_created.connect(on_anomaly_created, dispatch_uid="webhooks.anomaly_created")
    budget_alarm.connect(on_budget_alarm, dispatch_uid="webhooks.budget_alarm")
