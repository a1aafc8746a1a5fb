"""The reports app: the manager's report of findings and costs per OU or account, and its weekly
digest by email. It reads findings and costs only through their scoped selectors; neither
imports it."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Registers the report's sidebar entry."""

    name = "reports"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register

        nav_register(NavEntry("Report", "reports:report", order=66))
