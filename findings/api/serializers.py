"""Serializers of the findings API; AWS's strings come back verbatim (escaping is the renderer's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.encoder import Computed, RowEncoder
from core.api.serializers import BlankChoicesModelSerializer
from findings.governance.sla import sla_due_of
from findings.models import Finding, FindingEvent, FindingVulnerability, console_url

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
    "sla_due",
    "sla_breached",
]


VULNERABILITY_FIELDS = [
    "cve_id",
    "cvss_score",
    "cvss_version",
    "cvss_vector",
    "epss_score",
    "exploit_available",
    "fix_available",
    "package_name",
    "package_version",
    "fixed_in_version",
    "package_manager",
    "packages",
    "resource_name",
    "resource_tags",
    "remediation",
    "source_url",
]


class VulnerabilitySerializer(BlankChoicesModelSerializer):
    """What Inspector says of a vulnerability; the Inspector score is `inspector_score` here and
    the finding's `severity_score`."""

    inspector_score = serializers.FloatField(
        source="finding.severity_score", read_only=True, allow_null=True
    )
    vulnerability_type = serializers.SerializerMethodField()

    class Meta:
        model = FindingVulnerability
        fields = ["vulnerability_type", "inspector_score", *VULNERABILITY_FIELDS]
        read_only_fields = fields

    def get_vulnerability_type(self, instance: FindingVulnerability) -> str:
        return instance.finding.type.lower()


_VULNERABILITY_COLUMNS = tuple(f"vulnerability__{name}" for name in VULNERABILITY_FIELDS)


@cache
def _vulnerability_values() -> Callable[..., dict[str, Any]]:
    """VulnerabilitySerializer's columns (as the list's rows name them) to its fields."""
    encoder = RowEncoder(
        VulnerabilitySerializer,
        prefix="vulnerability__",
        exclude=("vulnerability_type", "inspector_score"),
    )
    return encoder.values_encoder(_VULNERABILITY_COLUMNS)


def _vulnerability_row(finding_type: str, score: float | None, *columns: Any) -> dict[str, Any]:
    """`vulnerability` of a list row that has one (core.api.encoder; null otherwise): what
    VulnerabilitySerializer answers. The arguments are the columns of
    `computed_columns["vulnerability"].needs`, in its order."""
    return {
        "vulnerability_type": finding_type.lower(),
        "inspector_score": None if score is None else float(score),
        **_vulnerability_values()(columns, None, None),
    }


_TIME = serializers.DateTimeField()


def _time(value: Any) -> str | None:
    return None if value is None else _TIME.to_representation(value)


def _breached(due: datetime | None, now: datetime) -> bool:
    """`sla_breached` of a list row: its sla_due is before now (null: never breached)."""
    return due is not None and due < now


def _sla(instance: Finding) -> tuple[Any, bool]:
    """(sla_due, sla_breached) as with_sla annotated them, or computed for a finding read
    without them (a webhook's payload)."""
    if hasattr(instance, "sla_breached"):
        return instance.sla_due, bool(instance.sla_breached)  # type: ignore[attr-defined]
    due = sla_due_of(
        severity=instance.severity, first_seen=instance.first_seen, is_open=instance.is_open
    )
    return due, due is not None and due < timezone.now()


class FindingSerializer(serializers.ModelSerializer):
    """A finding as lists show it (no payload, no history); `vulnerability` is null except for
    Inspector. Lists encode it from `values()` rows (core.api.encoder): a field that is not a
    column declares how in `computed_columns`."""

    computed_columns = {
        "console_url": Computed(
            needs=("source", "region", "source_id"),
            value=lambda source, region, source_id: console_url(
                source=source, region=region, source_id=source_id
            ),
        ),
        # sla_due is annotated by findings.governance.sla.with_sla_due (the list's queryset), a
        # time written as DRF writes one; breached is due before now (with_sla's rule), told here
        # rather than by a second CASE in every row of the SQL.
        "sla_due": Computed(needs=("sla_due",), value=lambda due: due, time=True),
        "sla_breached": Computed(needs=("sla_due",), value=_breached, clock=True),
        "vulnerability": Computed(
            needs=("type", "severity_score", *_VULNERABILITY_COLUMNS),
            value=_vulnerability_row,
            null_without="vulnerability__finding",  # no FindingVulnerability row
        ),
    }

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="A username, or null."
    )
    console_url = serializers.CharField(read_only=True)
    sla_due = serializers.SerializerMethodField(
        help_text="first_seen + the severity's SLA; null for informational and when not open."
    )
    sla_breached = serializers.SerializerMethodField(help_text="Open past its sla_due.")
    vulnerability = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [*FINDING_FIELDS, "vulnerability"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_sla_due(self, instance: Finding) -> str | None:
        return _time(_sla(instance)[0])

    @extend_schema_field(serializers.BooleanField())
    def get_sla_breached(self, instance: Finding) -> bool:
        return _sla(instance)[1]

    @extend_schema_field(VulnerabilitySerializer(allow_null=True))
    def get_vulnerability(self, instance: Finding) -> dict | None:
        try:
            vulnerability = instance.vulnerability
        except FindingVulnerability.DoesNotExist:
            return None
        return VulnerabilitySerializer(vulnerability).data


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
        fields = [*FINDING_FIELDS, "vulnerability", "raw", "events"]
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
