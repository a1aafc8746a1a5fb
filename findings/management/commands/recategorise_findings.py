"""`recategorise_findings`: recompute every finding's alert category after the table changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from findings.categories.services import findings_recategorise


class Command(BaseCommand):
    """Recompute the 13 alert categories of every GuardDuty and Macie finding (findings.categories)."""

    help = "Recompute findings' alert categories after findings/categories.py changed."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = findings_recategorise()
        self.stdout.write(f"{changed} finding(s) recategorised")
