"""Serializers of the principals API; AWS's strings come back verbatim (escaping is the renderer's)."""

from __future__ import annotations

from rest_framework import serializers

from core.api.serializers import BlankChoicesModelSerializer
from principals.models import Principal

PRINCIPAL_FIELDS = [
    "id",
    "account_id",
    "arn",
    "name",
    "identity",
    "identity_type",
    "tier",
    "tier_rule",
    "tier_since",
    "first_seen",
    "last_seen",
    "sessions",
    "evidence",
]


class PrincipalSerializer(BlankChoicesModelSerializer):
    """A principal; `tier` is null for AWS services; `evidence` says which rule set the tier and
    holds the events behind it, with successful and failed counts by event class in the window."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    evidence = serializers.JSONField(read_only=True)
    sessions = serializers.JSONField(read_only=True)

    class Meta:
        model = Principal
        fields = PRINCIPAL_FIELDS
        read_only_fields = PRINCIPAL_FIELDS
