"""`discover_accounts [--management-account ID] [--check]`: read the organisation's accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.aws import AwsError
from accounts.models import AwsAccount
from accounts.organizations import (
    account_check,
    organization_discover,
    organization_find_management,
)
from accounts.ous import organization_ou_sync


class Command(BaseCommand):
    """Add the organisation's new active accounts (disabled until checked), retire closed ones, flag
    the payer, read the OU tree; with --check, check each new account and enable those whose check passes."""

    help = "Discover member accounts from the organisation's management account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--management-account", metavar="ID")
        parser.add_argument("--check", action="store_true", help="Check and enable new accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        management = self._management(options["management_account"])
        try:
            result = organization_discover(management=management)
        except AwsError as exc:
            raise CommandError(f"Discovery from {management.account_id} failed: {exc}") from exc
        for account in result.added:
            line = f"added {account.account_id} {account.name}"
            if options["check"]:
                check = account_check(account=account, enable_on_success=True)
                line += f" check={check.outcome} enabled={'yes' if account.enabled else 'no'}"
            self.stdout.write(line)
        for account in result.retired:
            self.stdout.write(f"retired {account.account_id} {account.name}")
        for source, admin in sorted(result.administrators.items()):
            self.stdout.write(f"administrator {source} {admin or 'none'}")
        self.stdout.write(
            f"payer {result.payer_id}; {len(result.added)} added, {len(result.retired)} retired"
        )
        try:
            tree = organization_ou_sync(management=management)
        except AwsError as exc:
            raise CommandError(
                f"Reading the OU tree from {management.account_id} failed: {exc}"
            ) from exc
        for account_id in tree.moved:
            self.stdout.write(f"moved {account_id}")
        self.stdout.write(
            f"organisational units: {len(tree.added)} added, {len(tree.removed)} removed, "
            f"{len(tree.moved)} accounts placed"
        )

    def _management(self, account_id: str | None) -> AwsAccount:
        if account_id:
            account = AwsAccount.objects.filter(account_id=account_id).first()
            if account is None:
                raise CommandError(
                    f"--management-account {account_id}: add it first (add_account)."
                )
            return account
        account = organization_find_management()
        if account is None:
            raise CommandError(
                "No management account known: give --management-account ID (added with add_account)."
            )
        return account
