"""Anomaly feedback: sent to AWS first; our copy changes only once AWS accepted it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.aws import AwsError, AwsGateway
from accounts.collection import GLOBAL_REGION
from costs import clock
from costs.choices import AnomalyFeedback, CeRequestPurpose
from costs.collectors import cost_explorer
from costs.models import AnomalyFeedbackRecord, CostAnomaly
from costs.services.requests import ce_requests_counted

__all__ = ["AnomalyFeedbackRefused", "anomaly_feedback_send"]


class AnomalyFeedbackRefused(Exception):
    """AWS refused the feedback (or could not be reached); nothing changed here. The message is
    AWS's own, for the person to act on."""


def anomaly_feedback_send(
    *,
    anomaly: CostAnomaly,
    feedback: str,
    reason: str,
    user: AbstractBaseUser,
    gateway: AwsGateway | None = None,
) -> CostAnomaly:
    """Send `feedback` (YES, NO, PLANNED_ACTIVITY) on `anomaly` to AWS from its payer, then record
    who sent it, when and why. Raises AnomalyFeedbackRefused, changing nothing, when AWS refuses."""
    if feedback not in AnomalyFeedback.values:
        raise ValueError(f"unknown feedback {feedback!r}")
    gateway = gateway or AwsGateway(session_name="watchpost-feedback")
    payer = anomaly.payer
    with ce_requests_counted(
        counter=gateway.counter, payer=payer, purpose=CeRequestPurpose.FEEDBACK
    ):
        try:
            client = gateway.for_account(payer, "ce", GLOBAL_REGION)
            cost_explorer.anomaly_feedback(client, anomaly_id=anomaly.anomaly_id, feedback=feedback)
        except AwsError as exc:
            raise AnomalyFeedbackRefused(str(exc)) from exc
    now = clock.now()
    with transaction.atomic():
        CostAnomaly.objects.filter(pk=anomaly.pk).update(feedback=feedback, updated_at=now)
        AnomalyFeedbackRecord.objects.create(
            anomaly=anomaly,
            feedback=feedback,
            reason=reason,
            user=user,
            user_name=user.get_username(),
            created_at=now,
        )
    anomaly.refresh_from_db()
    return anomaly
