"""Fixtures of the findings tests: a GuardDuty organisation in the emulator, and stored findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from itertools import count
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import AwsAccount
from findings.records import FindingRecord
from findings.services import finding_upsert_many
from tests.conftest import emulate_member

_ids = count(1)


def collect(*args: str) -> dict[tuple[str, str, str], list[str]]:
    """Run `collect` (GuardDuty only unless told); its lines by (account, region, source)."""
    if "--source" not in args:
        args = ("--source", "guardduty", *args)
    out = StringIO()
    call_command("collect", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return {tuple(line.split()[:3]): line.split()[3:] for line in lines}  # type: ignore[misc]


def outcome(lines: dict, account: str, region: str = "us-east-1") -> list[str]:
    """[outcome, new=N, updated=N, unchanged=N, calls=N, ...] of one target."""
    return lines[(account, region, "guardduty")]


@pytest.fixture
def gd_org(db: Any, emulator: Any, aws_world: Any, account_a: AwsAccount, account_b: AwsAccount):
    """account_a and account_b in the emulator, GuardDuty on in us-east-1 only (not eu-west-1)."""
    for account in (account_a, account_b):
        emulate_member(aws_world, account)
        aws_world.guardduty(account.account_id, "us-east-1").enable()
    return aws_world


def record(**overrides: Any) -> FindingRecord:
    """A GuardDuty-like record of account 222222222222 in us-east-1."""
    n = next(_ids)
    values: dict[str, Any] = {
        "source": "guardduty",
        "source_id": f"f{n:031d}",
        "account_id": "222222222222",
        "region": "us-east-1",
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "title": f"finding {n}",
        "description": "an unprotected port is being probed",
        "severity_score": 5.0,
        "native_severity": "5",
        "aws_state": "active",
        "service_count": 1,
        "first_seen": datetime(2024, 5, 14, 9, tzinfo=UTC),
        "last_seen": datetime(2024, 5, 14, 10, tzinfo=UTC),
        "aws_updated_at": datetime(2024, 5, 14, 10, tzinfo=UTC),
        "resource_type": "Instance",
        "resource_id": "i-0abc123def4567890",
        "remote_ip": "198.51.100.7",
        "raw": {"Id": f"f{n:031d}"},
    }
    values.update(overrides)
    return FindingRecord(**values)


@pytest.fixture
def store(db: Any) -> Callable[..., Any]:
    """Store findings through the real service: store(account, **record overrides) -> Finding."""
    from findings.models import Finding

    def _store(account: AwsAccount, **overrides: Any) -> Finding:
        overrides.setdefault("account_id", account.account_id)
        rec = record(**overrides)
        finding_upsert_many(records=[rec], default_account=account)
        return Finding.objects.get(source=rec.source, source_id=rec.source_id)

    return _store
