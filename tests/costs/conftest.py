"""Fixtures of the costs tests: a Manager, an organisation with costs in the emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import AwsAccount
from accounts.services import person_set_access
from costs.models import CostAnomaly
from costs.severity import anomaly_severity
from tests.conftest import emulate_member
from tests.factories import AwsAccountFactory, UserFactory

PAYER = "111111111111"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def manager(db: Any) -> AbstractUser:
    """A Manager who sees every account: may send anomaly feedback."""
    user = UserFactory(username="dana")
    person_set_access(actor=None, user=user, role=Role.MANAGER, all_accounts=True, accounts=[])
    return user


@pytest.fixture
def viewer(db: Any) -> AbstractUser:
    """A Viewer who sees every account: reads only."""
    user = UserFactory(username="vic")
    person_set_access(actor=None, user=user, role=Role.VIEWER, all_accounts=True, accounts=[])
    return user


@pytest.fixture
def payer(db: Any) -> AwsAccount:
    return AwsAccountFactory(
        account_id=PAYER, name="Management", is_payer=True, regions=["us-east-1"]
    )


class Clock:
    """Our costs clock, stopped at `now`; `advance` moves it. The emulator keeps real time (its
    credentials must not look expired to botocore), which is never later than ours."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    @property
    def today(self) -> date:
        return self.now.date()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stop costs.clock at the current time (noon UTC of today, to keep days whole)."""
    stopped = Clock(datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0))
    monkeypatch.setattr("costs.clock.now", stopped)
    return stopped


@pytest.fixture
def cost_org(
    db: Any,
    emulator: Any,
    aws_world: Any,
    payer: AwsAccount,
    account_a: AwsAccount,
    account_b: AwsAccount,
    clock: Clock,
) -> Any:
    """The payer and two members in the emulated organisation, their roles trusting us."""
    aws_world.organization(management_account_id=PAYER)
    for account in (payer, account_a, account_b):
        emulate_member(aws_world, account)
    return aws_world


def collect(*args: str) -> dict[tuple[str, str, str], list[str]]:
    """Run `collect`; its lines by (account, region, source)."""
    out = StringIO()
    call_command("collect", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return {tuple(line.split()[:3]): line.split()[3:] for line in lines}  # type: ignore[misc]


def anomaly(**overrides: Any) -> CostAnomaly:
    """A stored anomaly of account 222222222222 (payer 111111111111 must exist)."""
    impact = Decimal(str(overrides.pop("total_impact", "250.00")))
    values: dict[str, Any] = {
        "payer": AwsAccount.objects.get(account_id=PAYER),
        "anomaly_id": f"an-{CostAnomaly.objects.count() + 1}",
        "account_id": "222222222222",
        "service": "Amazon Elastic Compute Cloud - Compute",
        "start_date": date(2024, 5, 2),
        "end_date": date(2024, 5, 4),
        "total_impact": impact,
        "total_actual": impact + 100,
        "total_expected": Decimal(100),
        "total_impact_percentage": impact,
        "root_causes": [
            {
                "Service": "Amazon Elastic Compute Cloud - Compute",
                "LinkedAccount": "222222222222",
                "Region": "us-east-1",
                "UsageType": "BoxUsage",
                "Impact": {"Contribution": float(impact)},
            }
        ],
        "derived_severity": anomaly_severity(impact),
        "content_hash": "x",
    }
    values.update(overrides)
    return CostAnomaly.objects.create(**values)
