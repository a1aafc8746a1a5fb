"""The costs pages in a real browser, on the demo organisation, with the CSP on: Plotly draws
every chart without a console error, hostile names stay text, feedback reaches AWS."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import AwsAccount
from accounts.services import account_upsert, person_set_access
from costs.models import CostAnomaly
from tests.browser.conftest import login, screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PAYER = "111111111111"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture
def aws_world() -> Any:
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def demo(emulator: Any, aws_world: Any, alice: Any) -> Any:
    """The demo organisation collected (costs, budgets, GuardDuty), one account named hostilely."""
    for account_id in ("111111111111", "222222222222", "333333333333", "444444444444"):
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1"],
            name="Data Lake" if account_id == "444444444444" else "",
        )
    AwsAccount.objects.filter(account_id=PAYER).update(is_payer=True)
    AwsAccount.objects.filter(account_id="333333333333").update(name=HOSTILE)
    out = StringIO()
    for source in ("costs", "budgets", "guardduty"):
        call_command("collect", "--source", source, stdout=out)
    user = UserFactory(username="dana")
    person_set_access(actor=None, user=user, role=Role.MANAGER, all_accounts=True, accounts=[])
    return aws_world


def charts_drawn(page: Any, count: int) -> None:
    page.wait_for_selector("[data-chart][data-rendered=true]", timeout=15000)
    page.wait_for_function(
        f"document.querySelectorAll('[data-chart][data-rendered=true]').length === {count}",
        timeout=15000,
    )
    assert page.locator("[data-chart] .main-svg").count() >= count


def test_costs_overview_draws_every_chart_and_keeps_hostile_names_inert(page, demo) -> None:
    login(page, "dana")
    page.goto(f"{page.base_url}/costs/")
    charts_drawn(page, 3)
    assert page.locator("#ce-usage").is_visible()
    assert page.locator("#forecast").is_visible()
    assert page.locator("img[src=x]").count() == 0 and page.title() != "pwned"
    assert page.get_by_text("Data as of").first.is_visible()
    screenshot(page, "costs_overview")
    assert page.console_errors == []
    # A click on a bar opens the list behind it.
    page.locator("#fig-by-account").count()
    bar = page.locator("[data-chart=fig-by-account] .bars path").first
    bar.click(force=True)
    page.wait_for_url("**/costs/?account=*")
    assert page.console_errors == []


def test_anomaly_page_shows_the_crypto_finding_and_sends_feedback(page, demo) -> None:
    spike = CostAnomaly.objects.get(account_id="444444444444", service__endswith="Compute")
    login(page, "dana")
    page.goto(f"{page.base_url}/costs/anomalies/")
    assert page.locator("#severity-rule").is_visible()
    screenshot(page, "costs_anomaly_list")
    page.goto(f"{page.base_url}/costs/anomalies/{spike.pk}/")
    charts_drawn(page, 1)
    assert page.locator("#related-findings").get_by_text("CryptoCurrency:EC2").is_visible()
    page.fill("main textarea[name=reason]", "GPU test <b>planned</b>")
    page.click("main button[type=submit][value=PLANNED_ACTIVITY]")
    page.wait_for_selector("text=Sent to AWS: Planned activity.")
    assert page.locator("#feedback-history").get_by_text("GPU test <b>planned</b>").is_visible()
    assert demo.ce(PAYER).feedback == [(spike.anomaly_id, "PLANNED_ACTIVITY")]
    charts_drawn(page, 1)
    screenshot(page, "costs_anomaly_detail")
    assert page.console_errors == []


def test_budgets_page_draws_the_chart_with_every_status(page, demo) -> None:
    login(page, "dana")
    page.goto(f"{page.base_url}/budgets/")
    charts_drawn(page, 1)
    for status in ("Over", "Forecast over", "Warning", "OK"):
        assert page.locator("#budgets .badge", has_text=status).first.is_visible()
    screenshot(page, "costs_budgets")
    page.select_option("main select[name=status]", "over")
    page.click("main button[type=submit]")
    page.wait_for_url("**/budgets/?*status=over*")
    assert page.locator("#budgets tbody tr").count() == 1
    assert page.console_errors == []
