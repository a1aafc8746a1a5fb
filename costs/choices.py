"""Choices of the costs app: anomaly feedback, derived severity, budget status."""

from __future__ import annotations

from django.db import models


class AnomalyFeedback(models.TextChoices):
    """What a person told AWS about an anomaly (ProvideAnomalyFeedback's values, verbatim)."""

    YES = "YES", "Yes, an anomaly"
    NO = "NO", "Not an anomaly"
    PLANNED_ACTIVITY = "PLANNED_ACTIVITY", "Planned activity"


class AnomalySeverity(models.TextChoices):
    """Our severity of an anomaly, derived from its total impact (AWS gives none)."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class BudgetStatus(models.TextChoices):
    """A budget's status by the rule of docs/api.md, Budgets (first match wins)."""

    OVER = "over", "Over"
    FORECAST_OVER = "forecast_over", "Forecast over"
    WARNING = "warning", "Warning"
    OK = "ok", "OK"


class CeRequestPurpose(models.TextChoices):
    """Why Watchpost made Cost Explorer requests (each costs USD 0.01)."""

    SYNC = "sync", "Scheduled or manual sync"
    FEEDBACK = "feedback", "Anomaly feedback"
