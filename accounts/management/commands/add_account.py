"""`add_account ACCOUNT_ID --role-arn ARN [--external-id X] [--name N] [--regions r1,r2]`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import account_upsert

# Model field -> the option that sets it, so an error names what the operator typed.
OPTION_OF_FIELD = {
    "account_id": "ACCOUNT_ID",
    "role_arn": "--role-arn",
    "external_id": "--external-id",
    "name": "--name",
    "regions": "--regions",
}


class Command(BaseCommand):
    """Create or update (never duplicate) a member account, enabled with every source on.

    Exits 0 whether or not the role can be assumed yet; a malformed value exits non-zero, names the
    option and the value, and writes nothing.
    """

    help = "Create or update a member AWS account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account_id", metavar="ACCOUNT_ID")
        parser.add_argument("--role-arn", required=True, dest="role_arn")
        parser.add_argument("--external-id", dest="external_id")
        parser.add_argument("--name")
        parser.add_argument("--regions", help="Comma-separated, e.g. us-east-1,eu-west-1")

    def handle(self, *args: Any, **options: Any) -> None:
        regions = None
        if options["regions"] is not None:
            regions = [r.strip() for r in options["regions"].split(",") if r.strip()]
        try:
            account, created = account_upsert(
                actor=None,
                account_id=options["account_id"],
                role_arn=options["role_arn"],
                external_id=options["external_id"],
                name=options["name"],
                regions=regions,
            )
        except ValidationError as exc:
            raise CommandError(self._describe(exc, options)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} account {account.account_id} ({account.name or 'no name'}): "
            f"role {account.role_arn}, ExternalId {account.external_id}, "
            f"regions {','.join(account.regions)}"
        )

    @staticmethod
    def _describe(exc: ValidationError, options: dict[str, Any]) -> str:
        if not hasattr(exc, "error_dict"):
            return "; ".join(exc.messages)
        parts = []
        for field, messages in exc.message_dict.items():
            option = OPTION_OF_FIELD.get(field, field)
            value = options.get(field)
            parts.append(f"{option} {value!s}: {' '.join(messages)}")
        return "; ".join(parts)
