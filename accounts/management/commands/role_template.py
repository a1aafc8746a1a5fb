"""`role_template ACCOUNT_ID [--stackset]`: the member role's CloudFormation template (YAML)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.aws import AwsGateway
from accounts.models import AwsAccount
from accounts.onboarding import NO_HUB_PRINCIPAL, hub_principal_learn, hub_trust, role_template_yaml


class Command(BaseCommand):
    """Print the template on standard output with Watchpost's identity filled in, never a
    placeholder: learned from STS GetCallerIdentity first if it is not known yet. An unknown
    account, or no way to learn the identity, exits 1 saying so."""

    help = "Print the member role's CloudFormation template (YAML) for ACCOUNT_ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id", metavar="ACCOUNT_ID")
        parser.add_argument(
            "--stackset",
            action="store_true",
            help="The variant for a service-managed StackSet over the organisation.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account_id = options["account_id"]
        account = AwsAccount.objects.filter(account_id=account_id).first()
        if account is None:
            raise CommandError(f"Unknown account {account_id!r}: add it first (add_account).")
        hub = hub_trust() or hub_principal_learn(
            gateway=AwsGateway(session_name="watchpost-hub"), learned_by="command"
        )
        if hub is None:
            raise CommandError(NO_HUB_PRINCIPAL)
        self.stdout.write(role_template_yaml(account, hub, stackset=options["stackset"]), ending="")
