"""The demo organisation: four accounts, two regions, every kind of finding, cost and budget;
GuardDuty, Macie and Inspector have a delegated administrator (SECURITY_ADMIN).

Data templates live in aws_emulator/data/*.json (boto3 shape, timestamps written relative to
ANCHOR); they are shifted so that ANCHOR becomes `world.clock()` at build time. Everything else is
generated with a seeded `random.Random`, so two builds at the same instant are identical.
"""

from __future__ import annotations

import random
from datetime import datetime

from ..world import World
from . import costs, findings, trail
from .templates import EXTERNAL_ID, ROLE_NAME

ACCOUNTS = {
    "111111111111": ("Management", "aws-management@example.com"),
    "222222222222": ("Production", "aws-prod@example.com"),
    "333333333333": ("Staging", "aws-staging@example.com"),
    "444444444444": ("Data Lake", "aws-datalake@example.com"),
}
REGIONS = ("us-east-1", "eu-west-1")
MANAGEMENT = "111111111111"
# The delegated administrator of GuardDuty, Macie and Inspector: it reads every member's findings.
SECURITY_ADMIN = "444444444444"

__all__ = [
    "ACCOUNTS",
    "EXTERNAL_ID",
    "MANAGEMENT",
    "REGIONS",
    "ROLE_NAME",
    "SECURITY_ADMIN",
    "build_demo_world",
]


# The demo's OU tree: Workloads (Production; Non-production: Staging) and Data (Data Lake); the
# management account stays in the root, as AWS advises.
def _seed_ous(world: World) -> None:
    assert world.org is not None
    root = world.org.root_id
    workloads = world.add_ou(root, "Workloads")
    world.move_account("222222222222", world.add_ou(workloads, "Production"))
    world.move_account("333333333333", world.add_ou(workloads, "Non-production"))
    world.move_account("444444444444", world.add_ou(root, "Data"))


def build_demo_world(
    hub_account_id: str = MANAGEMENT, seed: int = 20240514, now: datetime | None = None
) -> World:
    """Build the demo world; `now` freezes the clock there first (default: real time, running)."""
    world = World(hub_account_id=hub_account_id)
    if now is not None:
        world.clock.freeze(now)
    rng = random.Random(seed)  # noqa: S311  (deterministic demo data, not crypto)
    world.organization(management_account_id=MANAGEMENT)
    for index, (account_id, (name, email)) in enumerate(ACCOUNTS.items()):
        world.add_account(
            account_id,
            name=name,
            email=email,
            joined_method="CREATED" if index < 3 else "INVITED",
            joined_at=world.clock().replace(microsecond=0) - (costs.days(900 - 200 * index)),
        )
        world.add_role(account_id, ROLE_NAME, external_id=EXTERNAL_ID)
    _seed_ous(world)
    findings.seed_guardduty(world, rng)
    findings.seed_macie(world)
    findings.seed_inspector(world)
    for service in ("guardduty", "macie2", "inspector2"):
        world.delegate(service, SECURITY_ADMIN)
    trail.seed_cloudtrail(world, rng)
    costs.seed_costs(world, rng)
    costs.seed_budgets(world)
    return world
