"""`ou` on cost-anomalies/, budgets/ and the costs pages: the OU and every OU under it, within the
person's accounts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from costs.models import Budget, CostDaily
from costs.overview import cost_overview_for_user
from tests.conftest import bearer_client
from tests.costs.conftest import anomaly
from tests.factories import DATA_ID, PROD_ID, ROOT_ID, WORKLOADS_ID, ou_tree


@pytest.fixture
def tree(db, payer, account_a, account_b, clock):
    """account_a in Workloads/Prod, account_b in Data; an anomaly, a budget and 10 days of cost each."""
    units = ou_tree(prod=[account_a], data=[account_b])
    for account, amount in ((account_a, "100.00"), (account_b, "7.00")):
        anomaly(account_id=account.account_id, total_impact="50")
        Budget.objects.create(account=account, name=f"b-{account.account_id}", budget_type="COST",
                              time_unit="MONTHLY", limit=Decimal(100), actual=Decimal(50),
                              status="ok", content_hash="x")  # fmt: skip
        for back in range(10):
            CostDaily.objects.create(payer=payer, day=clock.today - timedelta(days=back),
                                     account_id=account.account_id, service="Amazon S3",
                                     amount=Decimal(amount))  # fmt: skip
    return units


def accounts(response) -> list[str]:
    rows = response.json()["results"]
    return sorted(r.get("account_id") or r["account"] for r in rows)


@pytest.mark.parametrize("path", ["/api/v1/cost-anomalies/", "/api/v1/budgets/"])
def test_cost_lists_take_an_ou_and_the_ous_under_it(alice, bob, tree, path):
    client = bearer_client(alice)
    assert accounts(client.get(path, {"ou": WORKLOADS_ID})) == ["222222222222"]
    assert accounts(client.get(path, {"ou": DATA_ID})) == ["333333333333"]
    assert accounts(client.get(path, {"ou": ROOT_ID})) == ["222222222222", "333333333333"]
    assert accounts(client.get(path, {"ou": "ou-ab12-nosuchou"})) == []
    assert accounts(bearer_client(bob).get(path, {"ou": ROOT_ID})) == ["222222222222"]
    for hostile in ["' OR 1=1 --", "ou-\x00ab", "R-AB12"]:
        response = client.get(path, {"ou": hostile})
        assert response.status_code == 400 and "ou" in response.json()


def test_the_cost_overview_narrows_to_an_ou(client, alice, bob, tree, clock):
    prod = cost_overview_for_user(user=alice, today=clock.today, ou=WORKLOADS_ID)
    assert {r["key"] for r in prod.by_account} == {"222222222222"}
    assert prod.forecast is None
    data = cost_overview_for_user(user=bob, today=clock.today, ou=DATA_ID)
    assert data.by_account == []  # bob does not see Data's account
    client.force_login(alice)
    page = client.get("/costs/", {"ou": PROD_ID})
    assert page.status_code == 200
    assert f'<option value="{PROD_ID}" selected>' in page.content.decode()
    assert client.get("/costs/anomalies/", {"ou": DATA_ID}).status_code == 200
    assert client.get("/budgets/", {"ou": DATA_ID}).status_code == 200
