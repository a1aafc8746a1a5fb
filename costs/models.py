"""Cost and usage by day, the month's forecast, anomalies with their feedback, budgets, and the
record of every Cost Explorer request Watchpost paid for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import AwsAccount
from costs.choices import AnomalyFeedback, AnomalySeverity, BudgetStatus, CeRequestPurpose

MONEY: dict[str, Any] = {"max_digits": 22, "decimal_places": 10}


class CostDaily(models.Model):
    """One day's unblended cost of one service in one linked account, read from the payer.

    `account_id` is the linked account as Cost Explorer names it (it may be an account Watchpost
    does not manage yet); reads are scoped by it. Amounts are Decimal, exactly as AWS wrote them.
    """

    payer = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="cost_rows")
    day = models.DateField()
    account_id = models.CharField("linked account", max_length=12)
    service = models.CharField(max_length=255)
    amount = models.DecimalField(**MONEY)
    unit = models.CharField(max_length=16, default="USD")
    estimated = models.BooleanField(default=False, help_text="AWS's bill for it is not final.")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "account_id", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "day", "account_id", "service"], name="cost_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["account_id", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} {self.service} {self.amount} {self.unit}"


class CostForecast(models.Model):
    """AWS's forecast of the payer's cost for the rest of a month (organisation-wide)."""

    payer = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="cost_forecasts")
    month = models.DateField(help_text="First day of the month forecast.")
    start = models.DateField()
    end = models.DateField()
    mean = models.DecimalField(**MONEY)
    lower = models.DecimalField(**MONEY, null=True, blank=True)
    upper = models.DecimalField(**MONEY, null=True, blank=True)
    unit = models.CharField(max_length=16, default="USD")
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payer", "month"], name="cost_forecast_unique")
        ]

    def __str__(self) -> str:
        return f"forecast {self.month:%Y-%m} {self.mean} {self.unit}"


class CostAnomaly(models.Model):
    """A Cost Explorer anomaly, as AWS gave it, with our derived severity and feedback record.

    `account_id` is the linked account of its largest root cause (the payer's when AWS names
    none). `feedback` is AWS's value; it changes here only after AWS accepted it.
    """

    payer = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="cost_anomalies")
    anomaly_id = models.CharField(max_length=128, unique=True)
    monitor_arn = models.CharField(max_length=2048, blank=True, default="")
    monitor_name = models.CharField(max_length=255, blank=True, default="")
    account_id = models.CharField("linked account", max_length=12)
    service = models.CharField(max_length=255, blank=True, default="")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    max_impact = models.DecimalField(**MONEY, default=Decimal(0))
    total_impact = models.DecimalField(**MONEY, default=Decimal(0))
    total_actual = models.DecimalField(**MONEY, null=True, blank=True)
    total_expected = models.DecimalField(**MONEY, null=True, blank=True)
    total_impact_percentage = models.DecimalField(**MONEY, null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    current_score = models.FloatField(null=True, blank=True)
    root_causes: Any = models.JSONField(default=list, blank=True)
    feedback = models.CharField(
        max_length=20, choices=AnomalyFeedback.choices, blank=True, default=""
    )
    derived_severity = models.CharField(max_length=10, choices=AnomalySeverity.choices)
    raw: Any = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name_plural = "cost anomalies"
        indexes = [models.Index(fields=["account_id", "start_date"])]
        permissions = [("send_anomaly_feedback", "Send feedback on cost anomalies to AWS")]

    def __str__(self) -> str:
        return f"anomaly {self.anomaly_id} {self.service} {self.total_impact}"

    @property
    def ranked_root_causes(self) -> list[dict[str, Any]]:
        """Root causes, largest contribution first."""
        return sorted(
            self.root_causes,
            key=lambda c: float(c.get("Impact", {}).get("Contribution") or 0),
            reverse=True,
        )


class AnomalyFeedbackRecord(models.Model):
    """Who told AWS what about an anomaly, when and why. Written only after AWS accepted it."""

    anomaly = models.ForeignKey(CostAnomaly, on_delete=models.CASCADE, related_name="feedbacks")
    feedback = models.CharField(max_length=20, choices=AnomalyFeedback.choices)
    reason = models.TextField(blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=150, help_text="Kept if the person is deleted.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_name}: {self.feedback} on {self.anomaly_id}"


class Budget(models.Model):
    """A budget of one member account with AWS's spend, forecast and notification states.

    `status` follows the rule of docs/api.md, Budgets, and is recomputed whenever AWS's numbers change.
    `removed_at` is set when a complete DescribeBudgets no longer lists it (data kept).
    """

    account = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=100)
    budget_type = models.CharField(max_length=40)
    time_unit = models.CharField(max_length=20)
    unit = models.CharField(max_length=16, default="USD")
    limit = models.DecimalField(**MONEY, null=True, blank=True)
    actual = models.DecimalField(**MONEY, null=True, blank=True)
    forecast = models.DecimalField(**MONEY, null=True, blank=True)
    percent_used = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=20, choices=BudgetStatus.choices)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    notifications: Any = models.JSONField(default=list, blank=True)
    raw: Any = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account__account_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="budget_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.account.account_id} {self.name}"


class CeRequestLog(models.Model):
    """Cost Explorer requests made by one sync or one feedback (USD 0.01 each, pages counted)."""

    payer = models.ForeignKey(AwsAccount, on_delete=models.CASCADE, related_name="ce_requests")
    purpose = models.CharField(max_length=20, choices=CeRequestPurpose.choices)
    requests = models.PositiveIntegerField()
    operations: Any = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.payer_id} {self.purpose} {self.requests} requests"
