"""The accounts app: member AWS accounts, people, roles, API tokens, the audit log."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    """Declares its navigation and role grants; connects the role groups' sync to `migrate`;
    registers the syncer of every declared source."""

    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        import accounts.api.schema  # noqa: F401 - registers the OpenAPI auth extensions
        from accounts.collection import sources_register_declared
        from accounts.roles import ACCOUNTS_GRANTS, roles_sync
        from core.navigation import NavEntry, nav_register
        from core.roles import role_permissions_register

        role_permissions_register(app_label=self.label, grants=ACCOUNTS_GRANTS)
        nav_register(
            NavEntry("Accounts", "accounts:account_list", order=100),
            NavEntry("Collection health", "collection_health", order=110),
        )
        post_migrate.connect(roles_sync, dispatch_uid="accounts.roles_sync")

        from axes.signals import user_locked_out

        from accounts.login_throttle import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="accounts.login_locked_out")

        # Every app's models are loaded before any ready(): the syncers may import them.
        sources_register_declared()
