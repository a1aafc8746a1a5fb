"""Every page of the demo organisation audited in a real browser (issue 19): axe-core's WCAG 2.1 A
and AA rules at a desktop's and a phone's width, nothing past a phone's edge at 390 px, a skip link
first on every page, the keyboard path through the skip link to a finding, the phone menu, and
each chart's numbers and lists reachable without a mouse.

The pages come from the URL configuration (tests/browser/pages.py): a page without parameters is
audited as soon as its URL exists; one with parameters must say how to fill them there.
Screenshots at 390 px: artifacts/screenshots/a11y-390-*.png.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import AwsAccount
from accounts.ous import organization_ou_sync
from accounts.services import account_upsert
from findings.governance.demo import demo_history_seed
from findings.models import Finding
from findings.services import finding_upsert_many
from tests.browser import pages
from tests.browser.a11y import (
    axe_violations,
    broken_references,
    charts_settled,
    first_focusable,
    overflow,
)
from tests.browser.conftest import login, screenshot
from tests.findings.conftest import record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
ACCOUNTS = {
    "111111111111": "Management",
    "222222222222": "Production",
    "333333333333": "Staging",
    "444444444444": "Data Lake",
}


@pytest.fixture
def aws_world() -> Any:
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def demo(emulator: Any, aws_world: Any, alice: Any) -> Any:
    """The demo organisation, every source collected through the real path (as `make demo`)."""
    for account_id, name in ACCOUNTS.items():
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1"],
            name=name,
        )
    AwsAccount.objects.filter(account_id="111111111111").update(is_payer=True)
    organization_ou_sync(management=AwsAccount.objects.get(account_id="111111111111"))
    call_command("collect", stdout=StringIO())
    demo_history_seed(actor=alice)  # accepted risks, resolutions: the governance pages filled
    return aws_world


@pytest.fixture
def findings(alice: Any, account_a: AwsAccount, account_b: AwsAccount) -> list[Finding]:
    """A few open findings of every band over two accounts (no AWS needed)."""
    now = datetime.now(UTC)
    records = [
        record(
            account_id=(account_a if n % 3 else account_b).account_id,
            severity_score=score,
            title=f"Finding number {n}",
            first_seen=now - timedelta(hours=n),
            last_seen=now - timedelta(minutes=n),
        )
        for n, score in enumerate([9.5, 8.4, 7.2, 5.5, 4.1, 2.0, 1.0, 8.8])
    ]
    finding_upsert_many(records=records, default_account=account_a)
    return list(Finding.objects.all())


def visit(page: Any, path: str) -> None:
    page.goto(f"{page.base_url}{path}")
    charts_settled(page)


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_") or "home"


def describe(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}, {v['count']} nodes): {v['help']}; "
        + "; ".join(n["target"] for n in v["nodes"])
        for v in violations
    ]


def page_problems(page: Any, path: str) -> list[str]:
    """axe's serious and critical violations, broken id references, a missing skip link, and
    console errors since the last page (but the page-not-found's own 404)."""
    problems = describe(axe_violations(page))
    errors, page.console_errors[:] = list(page.console_errors), []
    if path == pages.NOT_FOUND_PATH:
        errors = [e for e in errors if "status of 404" not in e]
    problems += [f"console: {error}" for error in errors]
    problems += [f"refers to a missing element: {ref}" for ref in broken_references(page)]
    first = first_focusable(page)
    if first != {"class": "skip-link", "href": "#main", "target": True}:
        problems.append(f"the first focusable element is not the skip link to #main: {first}")
    return [f"{path}: {problem}" for problem in problems]


def test_every_parametrised_url_is_audited_or_excused() -> None:
    # A new page with parameters (say /reports/<id>/) must say in tests/browser/pages.py how to
    # fill them (PAGE_KWARGS) or why it is no page (NOT_PAGES); one without is audited anyway.
    assert pages.unclassified() == []
    names = {pages.bare(name) for name, _pattern in pages.named_urls()}
    assert set(pages.PAGE_KWARGS) | pages.NOT_PAGES <= names, "renamed URL names in pages.py"


def test_no_page_has_a_serious_axe_violation(page: Any, demo: Any) -> None:
    login(page, "alice")
    paths = pages.audited_paths()
    assert len(paths) >= 25
    problems: list[str] = []
    for path in paths:
        visit(page, path)
        problems += page_problems(page, path)
    logged_out = page.context.browser.new_context(viewport=DESKTOP).new_page()
    logged_out.console_errors = []
    logged_out.on(
        "console", lambda m: m.type == "error" and logged_out.console_errors.append(m.text)
    )
    for path in pages.logged_out_paths():
        logged_out.goto(f"{page.base_url}{path}")
        problems += page_problems(logged_out, path)
    logged_out.context.close()
    assert problems == [], "\n".join(problems)


def sticks_out(page: Any, path: str) -> list[str]:
    wide = overflow(page)
    if wide["scrollWidth"] > wide["innerWidth"] or wide["elements"]:
        return [f"{path} at {wide['innerWidth']} px: {wide}"]
    return []


def test_every_page_fits_a_phone(page: Any, demo: Any) -> None:
    login(page, "alice")
    problems: list[str] = []
    for path in pages.audited_paths():
        page.set_viewport_size(TABLET)
        visit(page, path)
        problems += sticks_out(page, path)
        page.set_viewport_size(PHONE)
        visit(page, path)
        problems += sticks_out(page, path)
        problems += page_problems(page, path)
        screenshot(page, f"a11y-390-{slug(path)}")
    # The menu, open, passes too.
    visit(page, "/findings/")
    page.click("#menu-button")
    problems += page_problems(page, "/findings/ (menu open)")
    screenshot(page, "a11y-390-menu-open")
    assert problems == [], "\n".join(problems)


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          return {
            tag: el.tagName.toLowerCase(), id: el.id, cls: el.className || "",
            href: el.getAttribute("href"), text: (el.textContent || "").trim().slice(0, 80),
            outline: style.outlineStyle, visible: box.width > 0 && box.top >= 0 && box.bottom <= innerHeight,
            inNav: !!el.closest("nav.sidebar, .topbar"), inside: el.closest("[id]") && el.closest("[id]").id,
          };
        }"""
    )


def tab_until(page: Any, matches: Any, limit: int = 40) -> tuple[dict[str, Any], int]:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        now = focused(page)
        if matches(now):
            return now, presses
    raise AssertionError(f"not reached in {limit} Tab presses; ended on {now}")


def test_the_keyboard_skips_to_the_list_and_opens_a_finding(page: Any, findings: Any) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/findings/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["cls"] == "skip-link" and skip["href"] == "#main"
    assert skip["visible"] and skip["outline"] != "none"  # shown, with a focus ring
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    first_link = page.locator("table.findings-table a.finding-title").first
    expected = first_link.get_attribute("href")
    link, presses = tab_until(page, lambda f: "finding-title" in f["cls"])
    assert link["href"] == expected and not link["inNav"]
    assert link["outline"] != "none"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{expected}")
    assert page.locator("#finding-title").is_visible()
    # Without the skip link the same link is behind every navigation entry as well.
    page.goto(f"{page.base_url}/findings/")
    _link, without_skip = tab_until(page, lambda f: "finding-title" in f["cls"], limit=80)
    assert without_skip > presses + 10


def test_a_charts_numbers_open_their_lists_from_the_keyboard(page: Any, findings: Any) -> None:
    login(page, "alice")
    visit(page, "/overview/")
    figure = page.evaluate("JSON.parse(document.getElementById('fig-heatmap').textContent)")
    trace = figure["data"][0]
    points = {
        url: count
        for row_links, row_counts in zip(trace["customdata"], trace["z"], strict=True)
        for url, count in zip(row_links, row_counts, strict=True)
        if url
    }
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    summary, _ = tab_until(
        page, lambda f: f["tag"] == "summary" and f["inside"] == "fig-heatmap-data"
    )
    assert summary["outline"] != "none"
    page.keyboard.press("Enter")  # opens the data table
    links = page.locator("#fig-heatmap-data table a")
    table = {
        links.nth(i).get_attribute("href"): int(links.nth(i).inner_text())
        for i in range(links.count())
    }
    assert table == points  # the chart's own links and numbers, every one of them

    first, presses = tab_until(
        page, lambda f: f["tag"] == "a" and f["inside"] == "fig-heatmap-data"
    )
    assert presses <= 2  # the table's scroll box, then its first link
    assert first["href"] == links.first.get_attribute("href")
    if first["text"] == "0":  # on to the first cell that counts something
        first, _ = tab_until(page, lambda f: f["inside"] == "fig-heatmap-data" and f["text"] != "0")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{first['href']}")
    listed = page.locator("table.findings-table tbody tr").count()
    assert listed == points[first["href"]] > 0


def test_the_phone_menu_opens_and_closes_from_the_keyboard(page: Any, findings: Any) -> None:
    login(page, "alice")
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/findings/")
    button = page.locator("#menu-button")
    nav = page.locator("#main-nav")
    assert button.is_visible() and not nav.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    _button, _ = tab_until(page, lambda f: f["id"] == "menu-button", limit=3)
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert nav.is_visible() and page.locator("#user-menu").is_visible()
    entry, _ = tab_until(page, lambda f: f["inNav"] and f["text"] == "Overview")
    assert entry["visible"]
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    assert focused(page)["id"] == "menu-button"
    # A desktop's width shows the navigation and no menu button.
    page.set_viewport_size(DESKTOP)
    assert nav.is_visible() and not button.is_visible()
