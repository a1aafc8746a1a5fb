"""Serializers of the accounts API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import AwsAccount


class AwsAccountSerializer(serializers.ModelSerializer):
    """A member account; `role_arn` and `external_id` only for those who manage accounts."""

    ADMIN_ONLY = ("role_arn", "external_id")

    class Meta:
        model = AwsAccount
        fields = [
            "account_id",
            "name",
            "regions",
            "sources",
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


class CollectionRunSerializer(serializers.ModelSerializer):
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
