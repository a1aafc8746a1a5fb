"""The accounts app: member AWS accounts, people, roles, API tokens, the audit log."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    """Connects the role groups' sync to every `migrate`."""

    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        import accounts.api.schema  # noqa: F401 - registers the OpenAPI auth extensions
        from accounts.roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="accounts.roles_sync")
