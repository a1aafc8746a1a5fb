"""Serializers of the accounts API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import AwsAccount
from core.api.serializers import BlankChoicesModelSerializer


class AwsAccountSerializer(BlankChoicesModelSerializer):
    """A member account; `role_arn` and `external_id` only for those who manage accounts."""

    ADMIN_ONLY = ("role_arn", "external_id")

    class Meta:
        model = AwsAccount
        fields = [
            "account_id",
            "name",
            "regions",
            "sources",
            "administers",
            "enabled",
            "is_payer",
            "owner",
            "tags",
            "last_check_at",
            "last_check_outcome",
            "role_arn",
            "external_id",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None or not request.user.has_perm("accounts.manage_accounts"):
            for name in self.ADMIN_ONLY:
                fields.pop(name, None)
        return fields


class CollectionRunSerializer(BlankChoicesModelSerializer):
    """One collection of one source in one account and region."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)

    class Meta:
        from accounts.models import CollectionRun

        model = CollectionRun
        fields = [
            "id",
            "account_id",
            "region",
            "source",
            "outcome",
            "new",
            "updated",
            "unchanged",
            "calls",
            "error",
            "full",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class AwsAccountWriteSerializer(serializers.Serializer):
    """What an admin may send to create or change a member account.

    Types are checked here; the domain rules (12-digit id, role ARN of the same account, regions
    botocore knows) are the model's, so the API refuses exactly what the form and the command do.
    """

    account_id = serializers.CharField(max_length=12)
    role_arn = serializers.CharField(max_length=2048)
    external_id = serializers.CharField(max_length=1224, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    regions = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    sources = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    enabled = serializers.BooleanField(required=False)
    owner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tags = serializers.DictField(child=serializers.CharField(max_length=256), required=False)
    is_payer = serializers.BooleanField(
        required=False,
        help_text="Mark this account as the payer (unmarking any other) or unmark it.",
    )


class OrganizationalUnitSerializer(serializers.Serializer):
    """A root or OU the caller sees: its id, name, parent, and the accounts directly in it that the
    caller sees (docs/api.md, Organisational units)."""

    id = serializers.CharField(help_text="AWS's ou-... id, or r-... for the root.")
    name = serializers.CharField()
    parent = serializers.CharField(  # type: ignore[assignment]  # DRF pops declared fields
        allow_null=True, help_text="The parent's id; null for the root."
    )
    accounts = serializers.ListField(child=serializers.CharField(), help_text="12-digit ids.")
