"""`create_api_token USERNAME [--write] [--expires DAYS]`: the token is the last line of stdout."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import token_create


class Command(BaseCommand):
    """Create an API token for a person and print it once, as the last line of standard output."""

    help = "Create an API token for USERNAME (read-only unless --write)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", metavar="USERNAME")
        parser.add_argument("--write", action="store_true", help="Allow changes, not only reads.")
        parser.add_argument("--expires", type=int, metavar="DAYS", help="Expire after DAYS days.")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"USERNAME {options['username']!r}: no such user.")
        if options["expires"] is not None and options["expires"] < 1:
            raise CommandError(f"--expires {options['expires']}: give at least 1 day.")
        token, raw = token_create(
            actor=None,
            user=user,
            name=options["name"],
            can_write=options["write"],
            expires_in_days=options["expires"],
        )
        access = "read-write" if token.can_write else "read-only"
        expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
        self.stdout.write(
            f"Created {access} token {token.prefix}… for {user.get_username()}{expiry}:"
        )
        self.stdout.write(raw)
