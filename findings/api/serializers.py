"""Serializers of the findings API; AWS's strings come back verbatim (escaping is the renderer's)."""

from __future__ import annotations

from rest_framework import serializers

from findings.models import Finding, FindingEvent

FINDING_FIELDS = [
    "id",
    "source",
    "source_id",
    "account_id",
    "region",
    "type",
    "title",
    "description",
    "severity",
    "severity_score",
    "native_severity",
    "category",
    "status",
    "aws_state",
    "assignee",
    "ticket_ref",
    "first_seen",
    "last_seen",
    "updated_at",
    "resource_type",
    "resource_id",
    "console_url",
    "service_count",
    "action_type",
    "remote_ip",
    "port",
    "domain",
    "country",
    "country_code",
    "organisation",
    "asn",
    "threat_list_name",
    "aws_created_at",
    "aws_updated_at",
    "created_at",
]


class FindingSerializer(serializers.ModelSerializer):
    """A finding as lists show it (no payload, no history)."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    console_url = serializers.CharField(read_only=True)

    class Meta:
        model = Finding
        fields = FINDING_FIELDS
        read_only_fields = FINDING_FIELDS


class FindingEventSerializer(serializers.ModelSerializer):
    """One line of a finding's history; `actor` is null for collection."""

    actor = serializers.CharField(source="actor_name", read_only=True, allow_null=True)

    class Meta:
        model = FindingEvent
        fields = ["kind", "at", "actor", "changes"]
        read_only_fields = fields

    def to_representation(self, instance: FindingEvent) -> dict:
        data = super().to_representation(instance)
        data["actor"] = data["actor"] or None
        return data


class FindingDetailSerializer(FindingSerializer):
    """A finding with its payload as AWS gave it and its history, oldest first."""

    events = FindingEventSerializer(many=True, read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FINDING_FIELDS, "raw", "events"]
        read_only_fields = fields


class CountsField(serializers.DictField):
    child = serializers.IntegerField()


class FindingSummarySerializer(serializers.Serializer):
    """Open counts (aws_state active, status open or acknowledged), for the OpenAPI document."""

    open = serializers.IntegerField()
    severity = CountsField()
    source = CountsField()
    account_id = CountsField()
    category = CountsField(help_text='Findings without a category are under "uncategorised".')
