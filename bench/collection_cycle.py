"""Bench: one scheduled GuardDuty cycle of an organisation, member mode against delegated
administrator mode, measured in one run against the emulator.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/watchpost_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/collection_cycle.py [--accounts 200] [--regions 17]

The organisation: N accounts (one of them the delegated administrator), R regions, GuardDuty on
everywhere with a few findings per account and region. Each mode collects once (the cycle that
fills the database and, in administrator mode, learns the membership), then the measured cycle
runs as beat schedules it: `accounts.collection.collect` over every enabled account, the stored
cursors in place. Printed per mode: AWS calls (every call the emulator answered, STS included),
AssumeRole calls, wall time; then the ratio member / administrator, target >= 10x fewer calls.
Both modes must store the same findings. The bench empties the collection tables of its database.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

HUB = "999999999999"
ROLE = "WatchpostReadOnly"
EXTERNAL_ID = "watchpost-bench-external-id"
FINDINGS_PER_TARGET = 2
TARGET_RATIO = 10.0


def account_ids(n: int) -> list[str]:
    """N twelve-digit account ids; the first is the delegated administrator."""
    return [f"{100000000000 + i}" for i in range(n)]


def regions_of(n: int) -> list[str]:
    """The first N of GuardDuty's regions (17 commercial regions when N is 17)."""
    import boto3

    known = sorted(boto3.session.Session().get_available_regions("guardduty"))
    return known[:n]


def build_world(accounts: list[str], regions: list[str]) -> Any:
    """The organisation, GuardDuty on in every account and region with a few findings."""
    from aws_emulator import World

    world = World(hub_account_id=HUB)
    world.organization(management_account_id=accounts[0])
    for account in accounts:
        world.add_account(account)
        world.add_role(account, ROLE, external_id=EXTERNAL_ID)
        for region in regions:
            state = world.guardduty(account, region)
            for k in range(FINDINGS_PER_TARGET):
                state.add_finding(Type=f"Recon:EC2/Bench{k}", Severity=5.0 + k)
    return world


def register(accounts: list[str], regions: list[str]) -> None:
    """Our accounts, as discovery leaves them: enabled, these regions, GuardDuty on."""
    from accounts.models import AwsAccount

    AwsAccount.objects.bulk_create(
        [
            AwsAccount(
                account_id=account,
                role_arn=f"arn:aws:iam::{account}:role/{ROLE}",
                external_id=EXTERNAL_ID,
                regions=regions,
                sources=["guardduty"],
            )
            for account in accounts
        ]
    )


def reset() -> None:
    """Empty what a collection writes (findings, runs, cursors, memberships, accounts)."""
    from accounts.models import AwsAccount, CollectionRun, SourceMembership, SyncCursor
    from findings.models import Finding

    Finding.objects.all().delete()
    for model in (CollectionRun, SyncCursor, SourceMembership, AwsAccount):
        model.objects.all().delete()


def one_cycle(emulator: Any) -> dict[str, Any]:
    """Collect GuardDuty of every enabled account once, as the schedule does; what it cost."""
    from accounts.collection import collect
    from accounts.models import AwsAccount

    emulator.reset_calls()
    started = time.perf_counter()
    runs = list(collect(accounts=AwsAccount.objects.filter(enabled=True), sources=["guardduty"]))
    seconds = time.perf_counter() - started
    return {
        "calls": len(emulator.dispatcher.calls),
        "assume_role": emulator.count(service="sts", operation="AssumeRole"),
        "seconds": seconds,
        "targets": len(runs),
        "failed": sum(1 for r in runs if r.outcome not in ("ok",)),
    }


def mode(world: Any, accounts: list[str], regions: list[str], *, admin: bool) -> dict[str, Any]:
    """Set up one mode, collect once to fill, then measure the next (scheduled) cycle."""
    from accounts.models import AwsAccount
    from aws_emulator import Emulator
    from findings.models import Finding

    reset()
    register(accounts, regions)
    world.delegated_admins.clear()
    if admin:
        world.delegate("guardduty", accounts[0])
        AwsAccount.objects.filter(account_id=accounts[0]).update(administers=["guardduty"])
    with Emulator(world) as emulator:
        first = one_cycle(emulator)
        measured = one_cycle(emulator)
    measured["first_cycle_calls"] = first["calls"]
    measured["findings"] = set(
        Finding.objects.values_list("source_id", "account__account_id", "region")
    )
    return measured


def run(n_accounts: int, n_regions: int) -> dict[str, Any]:
    """Both modes on one organisation, in one run; the figures and whether the target is met."""
    accounts, regions = account_ids(n_accounts), regions_of(n_regions)
    world = build_world(accounts, regions)
    member = mode(world, accounts, regions, admin=False)
    administrator = mode(world, accounts, regions, admin=True)
    ratio = member["calls"] / max(administrator["calls"], 1)
    return {
        "accounts": n_accounts,
        "regions": len(regions),
        "member": member,
        "administrator": administrator,
        "ratio": ratio,
        "same_findings": member["findings"] == administrator["findings"]
        and len(member["findings"]) == n_accounts * len(regions) * FINDINGS_PER_TARGET,
        "ok": ratio >= TARGET_RATIO,
    }


def report(result: dict[str, Any]) -> str:
    """The result as a markdown table."""
    lines = [
        f"One scheduled GuardDuty cycle, {result['accounts']} accounts x {result['regions']} "
        "regions (emulator, in one run)",
        "",
        "| Mode | Targets | AWS calls | AssumeRole calls | Wall time (s) | First cycle calls |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("member", "administrator"):
        m = result[name]
        lines.append(
            f"| {name} | {m['targets']} | {m['calls']} | {m['assume_role']} | "
            f"{m['seconds']:.1f} | {m['first_cycle_calls']} |"
        )
    lines += [
        "",
        f"AWS calls, member / administrator: {result['ratio']:.1f}x "
        f"(target >= {TARGET_RATIO:.0f}x): {'met' if result['ok'] else 'MISSED'}",
        f"Same findings stored both ways: {'yes' if result['same_findings'] else 'NO'}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--regions", type=int, default=17)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    result = run(args.accounts, args.regions)
    print(report(result))
    return 0 if result["ok"] and result["same_findings"] else 1


if __name__ == "__main__":
    sys.exit(main())
