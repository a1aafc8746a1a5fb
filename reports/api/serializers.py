"""Serializers of the reports API."""

from __future__ import annotations

from rest_framework import serializers

from reports.selectors import PERIODS


class ReportQuerySerializer(serializers.Serializer):
    """reports/'s parameters (validated again against the caller's accounts and OUs)."""

    account = serializers.CharField(required=False, help_text="A 12-digit account id you see.")
    ou = serializers.CharField(required=False, help_text="An OU id (ou-... or r-...) you see.")
    period = serializers.ChoiceField(choices=list(PERIODS), required=False, default="week")


class TopRiskSerializer(serializers.Serializer):
    """One of the worst open findings (as findings/ orders them with ordering=-severity)."""

    id = serializers.IntegerField(source="pk")
    severity = serializers.CharField()
    title = serializers.CharField()
    type = serializers.CharField()
    account_id = serializers.CharField(source="account.account_id")


class ReportSerializer(serializers.Serializer):
    """The report (docs/api.md, Reports): each count equals what `links` shows in the API."""

    period = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    scope = serializers.DictField(child=serializers.CharField())
    open_by_severity = serializers.DictField(child=serializers.IntegerField())
    new = serializers.IntegerField()
    resolved = serializers.IntegerField()
    sla_breached = serializers.IntegerField(allow_null=True)
    mttr_days = serializers.DictField(child=serializers.FloatField(allow_null=True))
    accepted_expiring = serializers.IntegerField(allow_null=True)
    spend = serializers.DecimalField(max_digits=22, decimal_places=2)
    spend_previous = serializers.DecimalField(max_digits=22, decimal_places=2)
    anomalies = serializers.IntegerField()
    anomalies_by_feedback = serializers.DictField(child=serializers.IntegerField())
    budgets = serializers.ListField(child=serializers.DictField())
    top_risks = TopRiskSerializer(many=True)
    links = serializers.DictField(child=serializers.CharField(), source="api_links")
