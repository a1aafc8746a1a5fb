"""The webhooks app: subscriptions to findings and costs events, delivered signed by Celery."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Connects the receivers of the findings and costs signals (webhooks.receivers)."""

    name = "webhooks"

    def ready(self) -> None:
        from webhooks.receivers import receivers_connect

        receivers_connect()
