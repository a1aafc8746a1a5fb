"""Cost Explorer requests of one day of scheduled syncs, steady state against a naive refetch.

Every Cost Explorer request costs USD 0.01, each page counted. Beat syncs costs every 8 hours
(accounts/schedule.py), so a day is 3 syncs. This bench builds an organisation in the in-process
AWS emulator (the demo's four accounts, then a larger one), backfills once, and counts, in one run:

- steady state: the three syncs of the next day as Watchpost plans them (costs.services.cost_plan);
- naive: the same three syncs each re-reading everything (`collect --full`: 90 days of cost,
  monitors, forecast and 90 days of anomalies every time).

Run: .venv/bin/python bench/costs_requests.py
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
    os.environ[name] = value
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import django  # noqa: E402

django.setup()

from botocore.retries.standard import ExponentialBackoff  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.aws import AwsGateway  # noqa: E402
from accounts.collection import collect  # noqa: E402
from accounts.models import AwsAccount  # noqa: E402
from aws_emulator import Emulator, demo_world  # noqa: E402
from aws_emulator.seed import EXTERNAL_ID, MANAGEMENT, ROLE_NAME  # noqa: E402

SYNCS_A_DAY = 3  # costs every 8 hours (accounts/schedule.py)
USD = 0.01


def grow(world, accounts: int, services: int) -> None:
    """Add `accounts` more linked accounts with `services` services each, 90 days of cost."""
    rng = random.Random(7)  # noqa: S311 - bench data
    today = world.clock().date()
    ce = world.ce(MANAGEMENT)
    for n in range(accounts):
        account = f"{500000000000 + n:012d}"
        world.add_account(account)
        for back in range(1, 91):
            for s in range(services):
                ce.add_cost(
                    today - timedelta(days=back), account, f"Service {s:02d}", rng.uniform(1, 90)
                )


def run(now: datetime, full: bool, emulator: Emulator) -> int:
    """One sync of the payer at `now`; returns the Cost Explorer requests it made."""
    before = emulator.count(service="ce")
    payer = AwsAccount.objects.filter(account_id=MANAGEMENT)
    with mock.patch("costs.clock.now", return_value=now):
        list(collect(accounts=payer, sources=["costs"], full=full, gateway=AwsGateway()))
    return emulator.count(service="ce") - before


def day(start: datetime, full: bool, emulator: Emulator) -> list[int]:
    return [run(start + timedelta(hours=8 * n), full, emulator) for n in range(SYNCS_A_DAY)]


def scenario(label: str, world) -> None:
    call_command("flush", interactive=False, verbosity=0)
    AwsAccount.objects.create(
        account_id=MANAGEMENT,
        role_arn=f"arn:aws:iam::{MANAGEMENT}:role/{ROLE_NAME}",
        external_id=EXTERNAL_ID,
        is_payer=True,
        regions=["us-east-1"],
    )
    with Emulator(world) as emulator:
        # Real today (the emulator keeps real time): the daily pass re-reads the month to date,
        # so a late day of the month costs more than an early one.
        today = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
        backfill = run(today - timedelta(hours=16), False, emulator)
        steady = day(today, False, emulator)
        naive = day(today, True, emulator)
    groups = len({(r["account"], r["service"]) for r in world.ce(MANAGEMENT).costs})
    print(f"\n{label}: {groups} account x service groups a day, {world.ce_page_groups} per page")
    print(f"  first sync (90-day backfill):   {backfill:4d} requests")
    print(
        f"  steady-state day, 3 syncs:      {sum(steady):4d} requests {steady}  USD {sum(steady) * USD:.2f}"
    )
    print(
        f"  naive full refetch, 3 syncs:    {sum(naive):4d} requests {naive}  USD {sum(naive) * USD:.2f}"
    )
    print(f"  naive / steady:                 {sum(naive) / sum(steady):.1f}x")
    print(
        f"  a 30-day month, steady:         USD {sum(steady) * 30 * USD:.2f} (naive USD {sum(naive) * 30 * USD:.2f})"
    )


def main() -> None:
    ExponentialBackoff.delay_amount = lambda self, context: 0  # no retry sleeps in a bench
    call_command("migrate", verbosity=0)
    scenario("Demo organisation (4 accounts)", demo_world(hub_account_id="999999999999"))
    large = demo_world(hub_account_id="999999999999")
    grow(large, accounts=40, services=12)
    scenario("Larger organisation (44 accounts)", large)


if __name__ == "__main__":
    main()
