"""A person logs in, sees their accounts, adds one, and makes a token, in a real browser."""

import pytest

from accounts.models import AwsAccount
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_dashboard_and_navigation(page, alice, account_a, account_b) -> None:
    page.goto(f"{page.base_url}/")
    assert "/auth/login/" in page.url
    screenshot(page, "login")
    login(page, "alice")
    assert page.locator("table").get_by_text("222222222222").is_visible()
    assert page.locator("table").get_by_text("333333333333").is_visible()
    for label in [
        "Overview",
        "Findings",
        "Categories",
        "Users",
        "Inspector",
        "Costs",
        "Budgets",
        "Accounts",
        "Collection health",
    ]:
        assert page.locator("nav.sidebar").get_by_role("link", name=label, exact=True).count() == 1
    screenshot(page, "dashboard")
    assert page.console_errors == []


def test_a_limited_person_sees_only_their_account(page, bob, account_a, account_b) -> None:
    login(page, "bob")
    assert page.get_by_text("222222222222").count() == 1
    assert page.get_by_text("333333333333").count() == 0


def test_admin_adds_an_account_and_sees_the_error_naming_the_field(page, alice) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/accounts/add/")
    page.fill("input[name=account_id]", "444444444444")
    page.fill("input[name=role_arn]", "arn:aws:iam::555555555555:role/WatchpostReadOnly")
    page.select_option("select[name=regions]", ["us-east-1"])
    page.click("main button[type=submit]")
    assert page.locator(".has-error").get_by_text("belongs to account 555555555555").is_visible()
    screenshot(page, "account_form_error")
    assert not AwsAccount.objects.exists()
    page.fill("input[name=role_arn]", "arn:aws:iam::444444444444:role/WatchpostReadOnly")
    page.select_option("select[name=regions]", ["us-east-1"])
    page.click("main button[type=submit]")
    page.wait_for_url(f"{page.base_url}/accounts/444444444444/")
    assert page.get_by_text("watchpost-").first.is_visible()
    screenshot(page, "account_detail")


def test_a_token_is_shown_once(page, bob) -> None:
    login(page, "bob")
    page.goto(f"{page.base_url}/accounts/tokens/")
    page.fill("input[name=name]", "Jira <script>alert(1)</script>")
    page.click("main button[type=submit]")
    raw = page.locator("#new-token").inner_text()
    assert raw.startswith("wp_")
    screenshot(page, "token_created")
    page.reload()
    assert page.locator("#new-token").count() == 0
    assert page.get_by_text("Jira <script>alert(1)</script>").is_visible()
    assert page.console_errors == []
