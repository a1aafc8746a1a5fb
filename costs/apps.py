"""The costs app."""

from django.apps import AppConfig


class CostsConfig(AppConfig):
    """Costs, anomalies and budgets of the member accounts; registers the costs (payer only) and
    budgets (every account) syncers with the collection spine."""

    name = "costs"

    def ready(self) -> None:
        from accounts.choices import Role
        from accounts.collection import SourceSpec, source_register
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register
        from costs.services import budgets_sync, costs_sync

        nav_register(
            NavEntry("Costs", "costs:overview", order=70),
            NavEntry("Anomalies", "costs:anomaly_list", order=80),
            NavEntry("Budgets", "costs:budget_list", order=90),
        )
        role_permissions_register(
            app_label=self.label,
            grants={Role.ADMIN: ["send_anomaly_feedback"], Role.MANAGER: ["send_anomaly_feedback"]},
        )

        source_register(
            SourceSpec(source="costs", sync=costs_sync, regional=False, payer_only=True)
        )
        source_register(SourceSpec(source="budgets", sync=budgets_sync, regional=False))
