"""The costs app."""

from django.apps import AppConfig


class CostsConfig(AppConfig):
    """Costs, anomalies and budgets of the member accounts; registers the costs (payer only) and
    budgets (every account) syncers with the collection spine."""

    name = "costs"

    def ready(self) -> None:
        from accounts.collection import SourceSpec, source_register
        from costs.services import budgets_sync, costs_sync

        source_register(
            SourceSpec(source="costs", sync=costs_sync, regional=False, payer_only=True)
        )
        source_register(SourceSpec(source="budgets", sync=budgets_sync, regional=False))
