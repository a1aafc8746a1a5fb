"""The categories and Macie pages in a real browser: charts draw, tiles open their lists, inert."""

import pytest

from findings.services import finding_upsert_many
from tests.browser.conftest import login, screenshot
from tests.findings.categories.test_pages import macie_record
from tests.findings.conftest import record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def findings(account_a):
    records = [
        record(type="CryptoCurrency:EC2/BitcoinTool.B!DNS", severity_score=8.0),
        record(type="Exfiltration:S3/AnomalousBehavior", severity_score=9.5),
        record(**macie_record('evil"><img src=x onerror="window.__pwned=1">')),
        record(**macie_record("finance-exports", native_severity="Medium")),
    ]
    finding_upsert_many(records=records, default_account=account_a)


def test_categories_page_tiles_open_their_list(page, alice, findings) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "alice")
    page.goto(f"{page.base_url}/categories/")
    page.wait_for_selector("[data-chart] .main-svg")
    assert page.locator(".category-tile").count() == 14
    screenshot(page, "categories")
    page.locator('.category-tile[data-category="File hosting"]').click()
    page.wait_for_url("**/findings/?**")
    assert "category=File+hosting" in page.url or "category=File%20hosting" in page.url
    assert page.locator("table").get_by_text("CryptoCurrency:EC2/BitcoinTool.B!DNS").count() >= 1
    assert page.console_errors == [] and dialogs == []


def test_macie_page_charts_and_exposed_buckets_are_inert(page, alice, findings) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "alice")
    page.goto(f"{page.base_url}/macie/")
    page.wait_for_selector("#fig-macie-bucket ~ *, [data-chart] .main-svg")
    assert page.locator("[data-chart] .main-svg").count() >= 3
    assert page.locator("#exposed-buckets").get_by_text('evil"><img').count() == 1
    # a hover label with the hostile name
    page.locator("[data-chart='fig-macie-bucket'] .point").first.hover(force=True)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    screenshot(page, "macie")
    assert page.console_errors == [] and dialogs == []
