"""seed_demo_history: 30 days of findings history for the demo (findings.governance.demo)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from findings.governance.demo import demo_history_seed


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
