"""`collect [--account ID]... [--source S]... [--full]`: collect now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.choices import Source
from accounts.collection import collect
from accounts.models import AwsAccount
from accounts.validators import ACCOUNT_ID_RE


class Command(BaseCommand):
    """Collect every enabled account, region and source (or those named), printing one line each.

    Runs in the calling process whether or not REDIS_URL is set. Exit 0 when the run completed, even
    with per-account errors; 1 when nothing could run.
    """

    help = "Collect from member accounts now: one line per account, region and source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", action="append", default=[], metavar="ID")
        parser.add_argument(
            "--source",
            action="append",
            default=[],
            choices=Source.values,
            metavar="S",
            help=f"One of {', '.join(Source.values)} (default: all).",
        )
        parser.add_argument("--full", action="store_true", help="Ignore the stored cursors.")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = self._accounts(options["account"])
        sources = options["source"] or list(Source.values)
        runs = 0
        for run in collect(accounts=accounts, sources=sources, full=options["full"]):
            runs += 1
            self.stdout.write(self._line(run))
        if runs == 0:
            raise CommandError(
                "Nothing to collect: no enabled source of an enabled account matches."
            )

    def _accounts(self, ids: list[str]) -> list[AwsAccount]:
        for account_id in ids:
            if not ACCOUNT_ID_RE.fullmatch(account_id):
                raise CommandError(f"--account {account_id}: an account id is 12 digits.")
        accounts = AwsAccount.objects.filter(enabled=True, retired_at__isnull=True)
        if ids:
            accounts = accounts.filter(account_id__in=ids)
            missing = sorted(set(ids) - {a.account_id for a in accounts})
            if missing:
                raise CommandError(
                    f"--account {', '.join(missing)}: no such enabled account (see add_account)."
                )
        return list(accounts)

    @staticmethod
    def _line(run: Any) -> str:
        line = (
            f"{run.account.account_id} {run.region} {run.source} {run.outcome} "
            f"new={run.new} updated={run.updated} unchanged={run.unchanged} calls={run.calls}"
        )
        if run.error:
            line += " error=" + " ".join(run.error.split())
        return line
