"""The findings app."""

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    """Findings of the member accounts; registers its syncers with the collection spine."""

    name = "findings"

    def ready(self) -> None:
        from accounts.collection import SourceSpec, source_register
        from findings.services import guardduty_sync, inspector_sync, macie_sync

        source_register(SourceSpec(source="guardduty", sync=guardduty_sync))
        source_register(SourceSpec(source="macie", sync=macie_sync))
        source_register(SourceSpec(source="inspector", sync=inspector_sync))
