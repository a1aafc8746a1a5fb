"""Fixtures of the report tests: an organisation of two OUs with findings, history and costs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from costs.models import Budget, CostDaily
from findings.governance.acceptance import risk_acceptance_create
from findings.models import Finding
from findings.services.workflow import finding_workflow_update
from tests.costs.conftest import PAYER, anomaly
from tests.factories import AwsAccountFactory, ou_tree
from tests.findings.conftest import store  # noqa: F401  (the fixture, shared)

HOSTILE_TITLE = '=HYPERLINK("http://x")<script>alert(1)</script>'


@pytest.fixture
def org(db: Any, store: Any, alice: Any, account_a: Any, account_b: Any) -> dict[str, Any]:  # noqa: F811
    """account_a (Workloads/Prod) and account_b (Data): findings new, old (past its SLA),
    resolved this week, accepted until 10 and 90 days from now, 14 days of cost, anomalies with
    and without feedback, a budget each."""
    now = timezone.now()
    AwsAccountFactory(account_id=PAYER, name="Management", is_payer=True)
    units = ou_tree(prod=[account_a], data=[account_b])
    a_new = store(
        account_a, severity_score=9.5, title=HOSTILE_TITLE, first_seen=now - timedelta(days=2)
    )
    a_old = store(account_a, severity_score=7.5, first_seen=now - timedelta(days=40))
    a_fixed = store(account_a, severity_score=8.0, first_seen=now - timedelta(days=3))
    store(account_a, severity_score=5.0, first_seen=now - timedelta(days=20))
    b_new = store(account_b, severity_score=9.0, first_seen=now - timedelta(days=1))
    b_fixed = store(account_b, severity_score=2.0, first_seen=now - timedelta(days=10))
    for finding in (a_fixed, b_fixed):
        finding_workflow_update(finding=finding, actor=alice, status="resolved")
    a_medium = Finding.objects.get(account=account_a, severity="medium")
    for finding, days in ((a_medium, 10), (store(account_b, severity_score=5.5), 90)):
        risk_acceptance_create(actor=alice, data={
            "reason": "<b>compensating control</b>", "finding": finding.pk,
            "expires_at": now + timedelta(days=days),
        })  # fmt: skip
    payer = AwsAccountFactory(account_id=PAYER)
    for account, amount in ((account_a, "10.00"), (account_b, "1.00")):
        for back in range(14):
            CostDaily.objects.create(
                payer=payer, day=now.date() - timedelta(days=back), account_id=account.account_id,
                service="Amazon EC2", amount=Decimal(amount) * (2 if back < 7 else 1),
            )  # fmt: skip
        Budget.objects.create(
            account=account, name=f"<b>{account.account_id}</b>", budget_type="COST",
            time_unit="MONTHLY", limit=Decimal(100), actual=Decimal(120), status="over",
            content_hash="x",
        )  # fmt: skip
    anomaly(account_id=account_a.account_id, start_date=now.date() - timedelta(days=2))
    anomaly(account_id=account_a.account_id, start_date=now.date() - timedelta(days=3),
            feedback="YES")  # fmt: skip
    anomaly(account_id=account_b.account_id, start_date=now.date() - timedelta(days=1))
    anomaly(account_id=account_a.account_id, start_date=now.date() - timedelta(days=20))
    return {"units": units, "a_new": a_new, "a_old": a_old, "b_new": b_new}
