"""The demo organisation's GuardDuty findings, collected as `make demo` collects them."""

from __future__ import annotations

import pytest

from accounts.services import account_upsert
from findings.models import Finding
from findings.severity import severity_from_score
from tests.findings.conftest import collect

DEMO_ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")


@pytest.fixture
def aws_world():
    """The demo organisation instead of an empty world (the hub is a fifth account)."""
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def demo(db, emulator, aws_world):
    for account_id in DEMO_ACCOUNTS:
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1", "eu-west-1"],
        )
    return aws_world


def emulated(world) -> dict[str, dict]:
    found = {}
    for account_id in DEMO_ACCOUNTS:
        for region in ("us-east-1", "eu-west-1"):
            found.update(world.guardduty(account_id, region).findings)
    return found


def test_every_demo_finding_is_stored_once_with_its_band_and_state(demo):
    lines = collect()
    assert lines[("333333333333", "eu-west-1", "guardduty")][0] == "not_enabled"
    assert {v[0] for k, v in lines.items() if k[:2] != ("333333333333", "eu-west-1")} == {"ok"}
    expected = emulated(demo)
    stored = {f.source_id: f for f in Finding.objects.select_related("account")}
    assert set(stored) == set(expected)
    for finding_id, payload in expected.items():
        finding = stored[finding_id]
        assert finding.severity == severity_from_score(payload["Severity"])
        assert finding.aws_state == ("archived" if payload["Service"]["Archived"] else "active")
        assert finding.account.account_id == payload["AccountId"]
    assert all(f.first_seen and f.aws_updated_at for f in stored.values())
    bands = set(Finding.objects.values_list("severity", flat=True))
    assert {"critical", "high", "medium", "low"} <= bands


def test_a_second_demo_collect_changes_nothing(demo):
    collect()
    before = dict(Finding.objects.values_list("pk", "updated_at"))
    lines = collect()
    enabled = {k: v for k, v in lines.items() if k[:2] != ("333333333333", "eu-west-1")}
    assert {v[0] for v in enabled.values()} == {"ok"}, lines
    assert all(v[1:3] == ["new=0", "updated=0"] for v in enabled.values())
    assert dict(Finding.objects.values_list("pk", "updated_at")) == before
