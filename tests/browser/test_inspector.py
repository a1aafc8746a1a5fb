"""The Inspector report in a real browser: the demo organisation's vulnerabilities collected from
the emulator, charts drawn under the CSP, filters, a download, and the print layout."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login, screenshot
from tests.findings.conftest import collect

pytestmark = pytest.mark.django_db(transaction=True)
ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")


@pytest.fixture
def demo_inspector(emulator, alice):
    """The demo organisation's Inspector findings and coverage, collected through the real path."""
    from aws_emulator import Emulator, demo_world
    from tests.factories import AwsAccountFactory

    emulator.stop()
    world = demo_world()
    with Emulator(world):
        for account_id in ACCOUNTS:
            AwsAccountFactory(
                account_id=account_id,
                name={"222222222222": "Production", "333333333333": "Staging"}.get(account_id, ""),
                external_id="watchpost-demo-external-id",
                regions=["us-east-1"],
            )
        collect("--source", "inspector")
    return world


def _charts_drawn(page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('[data-chart][data-rendered=true]').length === {count}"
    )


def test_the_report_page_its_filters_download_and_print(page, demo_inspector):
    login(page, "alice")
    page.goto(f"{page.base_url}/inspector/")
    _charts_drawn(page, 4)
    assert page.locator("#total-open").inner_text() != "0"
    assert page.locator("#untriaged-count").inner_text() == "1"
    assert page.locator("#not-scanned-reasons").get_by_text("UNMANAGED_EC2_INSTANCE").count() == 1
    assert page.locator("#not-scanned-reasons .not-enabled").get_by_text("333333333333").count()
    assert "CVE-2021-44228" in page.locator("#top-risks tbody tr").first.inner_text()
    assert page.locator("#by-account").get_by_text("222222222222").count() == 1
    screenshot(page, "inspector_report")
    for card in ("by-severity", "not-scanned-reasons", "top-cves", "ages"):
        page.locator(f"#{card}").locator("xpath=ancestor::section[1]").screenshot(
            path=str(screenshot.__globals__["ARTIFACTS"] / f"inspector_report_{card}.png")
        )

    page.select_option("select[name=account]", "222222222222")
    page.check("input[name=severity][value=critical]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/inspector/?*account=222222222222*")
    _charts_drawn(page, 4)
    assert "account" in page.locator("#report-scope").inner_text()
    assert page.locator("#by-account").count() == 0  # one account: no per-account table
    assert page.locator("#resources tbody tr").count() == 2  # log4j on the image and on web-01
    with page.expect_download() as download:
        page.click("#download-csv")
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 2 and all("CVE-2021-44228" in line for line in lines[1:])
    screenshot(page, "inspector_report_filtered")

    page.goto(f"{page.base_url}/inspector/")
    _charts_drawn(page, 4)
    page.emulate_media(media="print")
    assert not page.locator("nav.sidebar").is_visible()
    assert not page.locator("#report-filters").is_visible()
    assert page.locator("#report-asof").is_visible()
    screenshot(page, "inspector_report_print")
    assert page.console_errors == []


def test_a_chart_bar_opens_the_findings_behind_it(page, demo_inspector):
    login(page, "alice")
    page.goto(f"{page.base_url}/inspector/?account=222222222222")
    _charts_drawn(page, 4)
    bar = page.locator("[data-chart=fig-cves] .bars .point path").last  # the top bar: log4j
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/findings/?*cve=*")
    assert "source=inspector" in page.url and "open=true" in page.url
    assert page.console_errors == []
