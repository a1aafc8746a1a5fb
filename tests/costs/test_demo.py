"""The demo organisation's costs and budgets, collected as `make demo` collects them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AwsAccount
from accounts.services import account_upsert
from costs.models import Budget, CeRequestLog, CostAnomaly, CostDaily
from tests.costs.conftest import PAYER, collect

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
            regions=["us-east-1"],
        )
    AwsAccount.objects.filter(account_id=PAYER).update(is_payer=True)  # as discovery flags it
    return aws_world


def test_demo_costs_anomalies_and_budgets_after_collect(demo, client, alice, emulator):
    lines = collect("--source", "costs", "--source", "budgets", "--source", "guardduty")
    assert lines[(PAYER, "us-east-1", "costs")][0] == "ok"
    assert {v[0] for k, v in lines.items() if k[2] == "budgets"} == {"ok"}
    sums: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in demo.ce(PAYER).costs:
        sums[(date.fromisoformat(row["day"]), row["account"], row["service"])] += Decimal(
            str(row["amount"])
        )
    stored = {(r.day, r.account_id, r.service): r.amount for r in CostDaily.objects.all()}
    assert {k: v.quantize(Decimal("0.01")) for k, v in stored.items()} == {
        k: v.quantize(Decimal("0.01")) for k, v in sums.items()
    }
    zero = CostAnomaly.objects.get(total_expected=0)
    assert zero.total_impact_percentage is None
    assert set(Budget.objects.values_list("status", flat=True)) == {
        "over", "forecast_over", "warning", "ok"
    }  # fmt: skip
    assert sum(CeRequestLog.objects.values_list("requests", flat=True)) == emulator.count(
        service="ce"
    )
    spike = CostAnomaly.objects.get(account_id="444444444444", service__endswith="Compute")
    client.force_login(alice)
    html = client.get(f"/costs/anomalies/{spike.pk}/").content.decode()
    assert "CryptoCurrency:EC2/BitcoinTool.B!DNS" in html
