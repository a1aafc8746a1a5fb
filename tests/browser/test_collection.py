"""Collection health, onboarding and the API docs in a real browser, with the CSP on."""

import pytest

from accounts.models import CollectionRun
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def aws_world():
    """The demo organisation (its delegated administrator included) for the tests that collect."""
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


def test_collection_health_renders_hostile_errors_inert(page, alice, account_a) -> None:
    CollectionRun.objects.create(
        account=account_a,
        region="us-east-1",
        source="guardduty",
        outcome="failed",
        error="<img src=x onerror=\"document.title='pwned'\">",
    )
    login(page, "alice")
    page.goto(f"{page.base_url}/collection/")
    assert page.get_by_text("<img src=x onerror=\"document.title='pwned'\">").is_visible()
    assert page.title() != "pwned"
    assert page.locator("tr.stale").count() >= 1
    screenshot(page, "collection_health")
    assert page.console_errors == []


def test_account_page_shows_onboarding_to_admins(page, alice, account_a) -> None:
    from accounts.models import HubPrincipal

    login(page, "alice")
    page.goto(f"{page.base_url}/accounts/{account_a.account_id}/")
    assert "does not know yet" in page.locator("#no-hub-principal").inner_text()
    assert page.locator("#trust-policy").count() == 0  # never a placeholder principal
    HubPrincipal.objects.create(
        caller_arn="arn:aws:sts::999999999999:assumed-role/WatchpostHub/i-0abc", learned_by="check"
    )
    page.goto(f"{page.base_url}/accounts/{account_a.account_id}/")
    trust = page.locator("#trust-policy").inner_text()
    assert account_a.external_id in trust and "role/*/WatchpostHub" in trust
    assert page.get_by_role("link", name="Download the StackSet template").is_visible()
    assert page.get_by_role("button", name="Check connection").is_visible()
    screenshot(page, "account_onboarding")
    assert page.console_errors == []


def test_api_docs_render_from_local_assets_without_csp_errors(page, alice) -> None:
    login(page, "alice")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{page.base_url}/api/v1/schema/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert page.get_by_text("/api/v1/accounts/").first.is_visible()
    assert all(url.startswith(page.base_url) for url in requests), requests
    screenshot(page, "api_docs")
    assert page.console_errors == []


def test_browsable_api_renders_with_the_session(page, alice, account_a) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/api/v1/accounts/")
    assert page.get_by_text("222222222222").first.is_visible()
    assert page.console_errors == []


def test_delegated_administrator_coverage_and_onboarding_in_a_browser(
    page, alice, emulator
) -> None:
    from tests.conftest import collect_demo_organisation

    collect_demo_organisation()
    login(page, "alice")
    page.goto(f"{page.base_url}/collection/?outcome=not_covered")
    assert page.get_by_text("not covered", exact=True).first.is_visible()
    assert page.locator("tbody tr").count() >= 1
    screenshot(page, "collection_not_covered")
    page.goto(f"{page.base_url}/collection/")
    assert page.get_by_text("through the delegated administrator").first.is_visible()
    screenshot(page, "collection_through_administrator")
    page.goto(f"{page.base_url}/accounts/333333333333/")
    modes = page.locator("#source-modes")
    assert "through the administrator" in modes.inner_text()
    modes.scroll_into_view_if_needed()
    screenshot(page, "account_source_modes")
    assert page.console_errors == []
