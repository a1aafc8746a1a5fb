"""Serializers of the webhooks API; the secret is only ever in the answer that created it."""

from __future__ import annotations

from rest_framework import serializers

from findings.choices import FindingSource, Severity
from webhooks.choices import SUBSCRIBABLE_EVENTS
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as read (never its secret)."""

    owner = serializers.CharField(source="owner.get_username", read_only=True)
    accounts = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "events",
            "min_severity",
            "sources",
            "accounts",
            "owner",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_accounts(self, obj: WebhookSubscription) -> list[str]:
        return sorted(a.account_id for a in obj.accounts.all())


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a creation or a rotation: the subscription and its secret, shown this once."""

    secret = serializers.CharField(read_only=True, help_text="Shown once: store it now.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionWriteSerializer(serializers.Serializer):
    """What an admin sends to create (POST) or change (PATCH) a subscription."""

    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS), allow_empty=False
    )
    min_severity = serializers.ChoiceField(
        choices=["", *Severity.values], required=False, help_text='"" for any severity.'
    )
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=FindingSource.values), required=False
    )
    accounts = serializers.ListField(
        child=serializers.RegexField(r"^\d{12}$", max_length=12),
        required=False,
        help_text="12-digit account ids; none: every account the owner sees.",
    )
    active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    """One HTTP try of a delivery."""

    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "at",
            "response_status",
            "response_excerpt",
            "error",
            "duration_ms",
            "retry_in",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """A delivery: the event, its status and the last answer; `attempts` counts the tries."""

    replay_of = serializers.SlugRelatedField(slug_field="uid", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uid",
            "subscription",
            "event",
            "event_id",
            "status",
            "attempts",
            "response_status",
            "response_excerpt",
            "error",
            "replay_of",
            "created_at",
            "next_attempt_at",
            "finished_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    """A delivery with the body it sends and each attempt."""

    tries = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "payload", "tries"]
        read_only_fields = fields
