"""The FilterSet of deliveries, shared by the /webhooks/ page and the API."""

from __future__ import annotations

import django_filters as filters

from core.filters import ChoicesFilter, MultipleValueFilter
from webhooks.choices import DeliveryStatus, WebhookEvent
from webhooks.models import WebhookDelivery


class WebhookDeliveryFilterSet(filters.FilterSet):
    """`subscription` (id), `event`, `status`; each bad value a 400 naming it."""

    subscription = MultipleValueFilter(
        field_name="subscription_id",
        pattern=r"\d{1,18}",
        message="Not a subscription id: %(value)s.",
    )
    event = ChoicesFilter(choices=WebhookEvent.choices)
    status = ChoicesFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []
