"""Writes of the costs app: syncs of Cost Explorer and Budgets, anomaly feedback, request log."""

from costs.services.budget_sync import budget_status, budgets_sync
from costs.services.cost_sync import CostPlan, cost_plan, costs_sync
from costs.services.feedback import AnomalyFeedbackRefused, anomaly_feedback_send
from costs.services.requests import ce_requests_record

__all__ = [
    "AnomalyFeedbackRefused",
    "CostPlan",
    "anomaly_feedback_send",
    "budget_status",
    "budgets_sync",
    "ce_requests_record",
    "cost_plan",
    "costs_sync",
]
