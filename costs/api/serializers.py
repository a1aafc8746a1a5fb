"""Serializers of the costs API (docs/api.md, Cost anomalies and Budgets)."""

from __future__ import annotations

from rest_framework import serializers

from core.api.encoder import Computed
from costs.choices import AnomalyFeedback, AnomalySeverity
from costs.models import MONEY, Budget, CostAnomaly


class CostAnomalySerializer(serializers.ModelSerializer):
    """A Cost Explorer anomaly; AWS's strings verbatim, `feedback` null when none was given."""

    feedback = serializers.SerializerMethodField()
    # Null for a person who does not see every account of the anomaly (costs.selectors.anomaly_redact).
    total_impact = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    max_impact = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    total_actual = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    total_expected = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    total_impact_percentage = serializers.DecimalField(**MONEY, allow_null=True, read_only=True)
    # A band of the total impact: null with the totals.
    derived_severity = serializers.ChoiceField(
        choices=AnomalySeverity.choices, allow_null=True, read_only=True
    )
    computed_columns = {  # lists encode values() rows (core.api.encoder)
        "feedback": Computed(needs=("feedback",), value=lambda feedback: feedback or None),
    }

    class Meta:
        model = CostAnomaly
        fields = [
            "id",
            "anomaly_id",
            "account_id",
            "service",
            "start_date",
            "end_date",
            "total_impact",
            "total_actual",
            "total_expected",
            "total_impact_percentage",
            "max_impact",
            "root_causes",
            "feedback",
            "derived_severity",
            "monitor_arn",
            "monitor_name",
            "updated_at",
        ]
        read_only_fields = fields

    def get_feedback(self, obj: CostAnomaly) -> str | None:
        return obj.feedback or None


class AnomalyFeedbackSerializer(serializers.Serializer):
    """POST body of cost-anomalies/{id}/feedback/."""

    feedback = serializers.ChoiceField(choices=AnomalyFeedback.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class BudgetSerializer(serializers.ModelSerializer):
    """A budget with its status (docs/api.md, Budgets) and notification states."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)

    class Meta:
        model = Budget
        fields = [
            "id",
            "name",
            "account_id",
            "budget_type",
            "limit",
            "actual",
            "forecast",
            "unit",
            "time_unit",
            "percent_used",
            "status",
            "notifications",
            "period_start",
            "period_end",
            "updated_at",
        ]
        read_only_fields = fields
