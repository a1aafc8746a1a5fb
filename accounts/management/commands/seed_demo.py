"""`seed_demo`: the demo's login and member accounts, for `make demo` (never for production)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import Role
from accounts.models import AwsAccount
from accounts.services import account_upsert, person_set_access

# The demo organisation's management account, as the local AWS emulator serves it
# (aws_emulator.demo_world); its members are then found by `discover_accounts`.
DEMO_MANAGEMENT = ("111111111111", "Management")
DEMO_ROLE = "WatchpostReadOnly"
DEMO_EXTERNAL_ID = "watchpost-demo-external-id"
DEMO_REGIONS = ["us-east-1", "eu-west-1"]


class Command(BaseCommand):
    """Create the demo login (an Admin who sees every account) and the organisation's management
    account; `discover_accounts --check` then finds the members.

    Refuses to run unless DJANGO_DEBUG is on: a demo password has no place in production.
    """

    help = "Seed the demo's login and management account (DJANGO_DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", help="Default: a new random password, printed.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo runs only with DJANGO_DEBUG=1 (it prints a password).")
        account_id, name = DEMO_MANAGEMENT
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/{DEMO_ROLE}",
            external_id=DEMO_EXTERNAL_ID,
            name=name,
            regions=DEMO_REGIONS,
        )
        password = options["password"] or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=options["username"])
        user.set_password(password)
        user.email = user.email or f"{user.username}@example.com"
        user.save()
        person_set_access(
            actor=None,
            user=user,
            role=Role.ADMIN,
            all_accounts=True,
            accounts=AwsAccount.objects.all(),
        )
        self.stdout.write(f"Demo login: {user.username} / {password}")
