"""The webhooks app: subscriptions to findings and costs events, delivered signed by Celery."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Connects the receivers of the findings and costs signals (webhooks.receivers)."""

    name = "webhooks"

    def ready(self) -> None:
        from accounts.choices import Role
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register
        from webhooks.receivers import receivers_connect

        nav_register(
            NavEntry(
                "Webhooks",
                "webhooks:webhook_list",
                order=120,
                permission="webhooks.manage_webhooks",
            )
        )
        role_permissions_register(app_label=self.label, grants={Role.ADMIN: ["manage_webhooks"]})

        receivers_connect()
