"""The costs app."""

from django.apps import AppConfig


class CostsConfig(AppConfig):
    """Costs, anomalies and budgets of the member accounts; its sources (costs, payer
    only; budgets, every account) declare themselves in costs/sources/."""

    name = "costs"

    def ready(self) -> None:
        from accounts.choices import Role
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register

        nav_register(
            NavEntry("Costs", "costs:overview", order=70),
            NavEntry("Anomalies", "costs:anomaly_list", order=80),
            NavEntry("Budgets", "costs:budget_list", order=90),
        )
        role_permissions_register(
            app_label=self.label,
            grants={Role.ADMIN: ["send_anomaly_feedback"], Role.MANAGER: ["send_anomaly_feedback"]},
        )
