"""The manager's report in a real browser, on the demo organisation: a manager granted one OU
opens its monthly report, sees only that OU's accounts, and each number opens its list."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import AwsAccount, OrganizationalUnit
from accounts.ous import organization_ou_sync
from accounts.services import account_upsert, person_set_access
from findings.models import Finding
from findings.services.workflow import finding_workflow_update
from tests.browser.conftest import login, screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def aws_world() -> Any:
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def demo(emulator: Any, aws_world: Any, alice: Any) -> Any:
    """The demo organisation with its OU tree, collected; a manager granted the Workloads OU."""
    for account_id in ("111111111111", "222222222222", "333333333333", "444444444444"):
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1"],
        )
    AwsAccount.objects.filter(account_id="111111111111").update(is_payer=True)
    organization_ou_sync(management=AwsAccount.objects.get(account_id="111111111111"))
    for source in ("costs", "budgets", "guardduty"):
        call_command("collect", "--source", source, stdout=StringIO())
    for finding in Finding.objects.filter(account__account_id="222222222222")[:2]:
        finding_workflow_update(finding=finding, actor=alice, status="resolved")
    workloads = OrganizationalUnit.objects.get(name="Workloads")
    user = UserFactory(username="mona")
    person_set_access(
        actor=None, user=user, role=Role.MANAGER, all_accounts=False, accounts=[], ous=[workloads]
    )
    return workloads


def test_a_manager_reads_their_ous_monthly_report_and_opens_each_number(page: Any, demo: Any):
    login(page, "mona")
    page.goto(f"{page.base_url}/reports/?ou={demo.ou_id}&period=month")
    page.wait_for_selector("[data-chart][data-rendered=true]", timeout=15000)
    assert page.console_errors == []
    assert "444444444444" not in page.content()  # Data is not mona's
    new = page.locator("#report-new .stat-value").inner_text()
    resolved = page.locator("#report-resolved .stat-value").inner_text()
    assert int(resolved) == 2
    screenshot(page, "report-ou-month")
    page.click("#report-new")
    page.wait_for_selector("#finding-count")
    assert page.locator("#finding-count strong").inner_text() == new
    page.go_back()
    page.click("#report-resolved")
    page.wait_for_selector("#finding-count")
    assert page.locator("#finding-count strong").inner_text() == resolved
    page.go_back()
    page.emulate_media(media="print")
    screenshot(page, "report-ou-month-print")
    assert page.locator(".sidebar").is_hidden()
