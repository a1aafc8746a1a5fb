"""`check_account ID [--without-external-id] [--enable]`: the onboarding connection check."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import AwsAccount
from accounts.organizations import account_check


class Command(BaseCommand):
    """Assume the role and make one cheap read per enabled source and region; print the results."""

    help = "Check that Watchpost can read a member account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id", metavar="ACCOUNT_ID")
        parser.add_argument(
            "--without-external-id",
            action="store_true",
            help="Also try the role without the ExternalId (it should refuse).",
        )
        parser.add_argument(
            "--enable", action="store_true", help="Enable the account if it passes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = AwsAccount.objects.filter(account_id=options["account_id"]).first()
        if account is None:
            raise CommandError(f"ACCOUNT_ID {options['account_id']}: no such account.")
        check = account_check(
            account=account,
            test_without_external_id=options["without_external_id"],
            enable_on_success=options["enable"],
        )
        self.stdout.write(f"{account.account_id} {check.outcome} {check.caller_arn or check.error}")
        for row in check.results:
            error = f" error={row['error']}" if row["error"] else ""
            self.stdout.write(f"  {row['region']} {row['source']} {row['outcome']}{error}")
        if check.external_id_enforced is False:
            self.stdout.write("  WARNING: the role can be assumed WITHOUT the ExternalId.")
