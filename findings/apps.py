"""The findings app."""

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    """Findings of the member accounts; registers its navigation and role grants (its sources
    declare themselves in findings/sources/)."""

    name = "findings"

    def ready(self) -> None:
        from accounts.choices import Role
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register

        nav_register(
            NavEntry("Overview", "findings:overview", order=10),
            NavEntry("Findings", "findings:finding_list", order=20),
            NavEntry("Categories", "findings:categories", order=30),
            NavEntry("Macie", "findings:macie", order=40),
            NavEntry("Inspector", "findings:inspector_report", order=60),
        )
        role_permissions_register(
            app_label=self.label,
            grants={Role.ADMIN: ["change_workflow"], Role.ANALYST: ["change_workflow"]},
        )
