"""seed_demo_history: 30 days of findings history for the demo (findings.governance.demo)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import Role
from accounts.models import OrganizationalUnit
from accounts.services import person_set_access
from findings.governance.demo import demo_history_seed

# The demo's manager sees one part of the organisation: the accounts in or under this OU.
DEMO_MANAGER = ("manager", "Workloads")


class Command(BaseCommand):
    help = "Seed 30 days of findings history after the demo's collect (DJANGO_DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo", help="Who resolved and accepted.")
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo_history runs only with DJANGO_DEBUG=1 (demo data).")
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"No one is called {options['username'][:40]}: run seed_demo.")
        if not 2 <= options["days"] <= 366:
            raise CommandError("--days: from 2 to 366.")
        done = demo_history_seed(actor=actor, days=options["days"])
        self.stdout.write(" ".join(f"{k}={v}" for k, v in done.items()))
        self._manager()

    def _manager(self) -> None:
        """A Manager granted the Workloads OU (found by discovery), with a new password, printed:
        their monthly report (/reports/) shows only that part of the organisation."""
        username, ou_name = DEMO_MANAGER
        ou = OrganizationalUnit.objects.filter(name=ou_name).first()
        if ou is None:
            return
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.email = user.email or f"{username}@example.com"
        user.save()
        person_set_access(
            actor=None, user=user, role=Role.MANAGER, all_accounts=False, accounts=[], ous=[ou]
        )
        self.stdout.write(f"Manager login (OU {ou.name}): {username} / {password}")
