"""The Users pages in a real browser, on the demo organisation, with the CSP on: counts by tier,
the chart by identity type, filters, a principal's evidence; hostile AWS strings stay text."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.services import account_upsert
from principals.models import Principal
from tests.browser.conftest import login, screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def aws_world() -> Any:
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def demo(emulator: Any, aws_world: Any, alice: Any) -> Any:
    """The demo organisation's CloudTrail collected, GuardDuty too (findings naming principals)."""
    for account_id in ("111111111111", "222222222222", "333333333333", "444444444444"):
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1"],
        )
    out = StringIO()
    for source in ("cloudtrail", "guardduty"):
        call_command("collect", "--source", source, stdout=out)
    return aws_world


def test_the_users_page_shows_tiers_the_chart_and_filters(page: Any, demo: Any) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/users/")
    page.wait_for_selector("[data-chart][data-rendered=true]", timeout=15000)
    tiles = {
        t.get_attribute("data-tier"): t.locator(".tier-count").inner_text()
        for t in page.locator(".tier-tile").all()
    }
    # 4 accounts: root and alice platinum, DeployRole gold, bob silver, carol/dave/mallory bronze
    assert tiles == {"platinum": "8", "gold": "4", "silver": "4", "bronze": "12", "none": "8"}
    assert page.locator("#principals tbody tr").count() == 36
    screenshot(page, "users_list")
    page.select_option("#id_tier", ["gold"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/users/?*tier=gold*")
    assert page.locator("#principals tbody tr").count() == 4
    names = page.locator("#principals tbody td.principal-cell > a").all_inner_texts()
    assert names == ["DeployRole"] * 4
    page.fill("#id_q", "nobody-has-this-name")
    page.click("main button[type=submit]")
    assert "No principal matches." in page.locator("main").inner_text()
    assert page.console_errors == []


def test_a_principals_page_says_why_and_shows_failed_calls_and_findings(
    page: Any, demo: Any
) -> None:
    login(page, "alice")
    alice = Principal.objects.get(account__account_id="222222222222", name="alice")
    page.goto(f"{page.base_url}/users/{alice.pk}/")
    assert page.locator("#principal-tier").inner_text() == "Platinum"
    why = page.locator("#why").inner_text()
    assert "Successful high-risk call" in why and "CreateAccessKey" in why
    assert page.locator("#principal-findings tbody tr").count() >= 1
    screenshot(page, "users_detail")
    mallory = Principal.objects.get(account__account_id="222222222222", name="mallory")
    page.goto(f"{page.base_url}/users/{mallory.pk}/")
    assert "DeleteTrail" in page.locator("#failed").inner_text()
    assert page.locator("#failed tr.failed-high-risk").count() >= 1
    dave = Principal.objects.get(account__account_id="222222222222", name="dave")
    page.goto(f"{page.base_url}/users/{dave.pk}/")
    assert "<script>alert(1)</script>" in page.locator("#recent").inner_text()  # shown as text
    screenshot(page, "users_detail_failed")
    assert page.console_errors == []
