"""The findings app."""

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    """Findings of the member accounts; registers its navigation and role grants (its sources
    declare themselves in findings/sources/)."""

    name = "findings"

    def ready(self) -> None:
        from accounts.choices import Role
        from accounts.collection import collection_start_register
        from accounts.ous import ou_account_ids
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register
        from findings.governance.acceptance import ou_resolver_register, risk_acceptances_expire

        nav_register(
            NavEntry("Overview", "findings:overview", order=10),
            NavEntry("Findings", "findings:finding_list", order=20),
            NavEntry("Categories", "findings:categories", order=30),
            NavEntry("Macie", "findings:macie", order=40),
            NavEntry("Inspector", "findings:inspector_report", order=60),
            NavEntry("SLAs", "findings:sla", order=62),
            NavEntry("Accepted risks", "findings:risk_acceptance_list", order=64),
        )
        role_permissions_register(
            app_label=self.label,
            grants={
                Role.ADMIN: ["change_workflow", "manage_sla", "manage_risk_acceptance"],
                Role.ANALYST: ["change_workflow"],
                Role.MANAGER: ["manage_risk_acceptance"],
            },
        )
        # A rule on an OU reaches the accounts in it and under it, as the tree is now.
        ou_resolver_register(ou_account_ids)
        # Expired risk acceptances reopen their findings before anything is collected.
        collection_start_register("findings.risk_acceptances_expire", risk_acceptances_expire)
