"""The security team's day in a real browser: overview charts, the list and its filters, one
finding and its workflow, bulk triage, and hostile findings from the emulator staying inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from accounts.services import account_upsert
from findings.models import Finding, FindingDailyCount
from findings.services import finding_upsert_many
from tests.browser.conftest import login, screenshot
from tests.findings.conftest import collect, record

pytestmark = pytest.mark.django_db(transaction=True)

PWN = '<img src=x onerror="window.__pwned=1;alert(1)">'


def stored(account, **overrides):
    overrides.setdefault("account_id", account.account_id)
    rec = record(**overrides)
    finding_upsert_many(records=[rec], default_account=account)
    return Finding.objects.get(source=rec.source, source_id=rec.source_id)


@pytest.fixture
def world(alice, account_a, account_b):
    """A dozen findings of every band over two accounts, and a week of daily history."""
    now = datetime.now(UTC)
    made = []
    for n, score in enumerate([9.5, 9.1, 8.4, 7.2, 7.0, 5.5, 4.1, 2.0, 1.0, 6.0, 8.8, 3.3]):
        account = account_a if n % 3 else account_b
        made.append(
            stored(
                account,
                severity_score=score,
                type=["Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:EC2/SSHBruteForce",
                      "AttackSequence:IAM/CompromisedCredentials"][n % 3],
                title=f"Finding number {n} with a title long enough to wrap in the table cell",
                first_seen=now - timedelta(hours=n),
                last_seen=now - timedelta(minutes=n),
            )
        )  # fmt: skip
    today = now.date()
    for days in range(1, 8):
        for account in (account_a, account_b):
            for severity, base in (("critical", 1), ("high", 3), ("medium", 2), ("low", 1)):
                FindingDailyCount.objects.create(
                    day=today - timedelta(days=days),
                    account=account,
                    source="guardduty",
                    severity=severity,
                    count=base + days % 3,
                )
    return made


def rows(page) -> int:
    return page.locator("table.findings-table tbody tr").count()


def charts_rendered(page, expected: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('[data-chart][data-rendered=true]').length === {expected}",
        timeout=15000,
    )


def test_overview_to_list_to_finding_and_acknowledge_it(page, world, account_a) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/overview/")
    charts_rendered(page, 3)
    assert page.locator("#fig-trend, [data-chart=fig-trend] .main-svg").count() >= 1
    assert page.locator("[data-chart=fig-heatmap] .heatmaplayer").count() == 1
    assert page.locator("[data-chart=fig-types] .bars .point").count() == 3
    critical = int(page.locator("#count-critical .stat-value").inner_text())
    assert critical == 2
    screenshot(page, "findings_overview")
    assert page.console_errors == []

    page.click("#count-critical")
    page.wait_for_url(re.compile(r".*/findings/\?open=true&severity=critical$"))
    assert rows(page) == critical
    assert page.locator("#finding-count").inner_text() == f"{critical} findings"
    assert page.locator("input[name=severity][value=critical]").is_checked()
    screenshot(page, "findings_list_critical")

    page.locator("table.findings-table a.finding-title").first.click()
    page.wait_for_url(re.compile(r".*/findings/\d+/$"))
    assert page.locator("#finding-status").inner_text() == "Open"
    assert page.locator("#finding-aws-state").inner_text() == "Active"
    assert page.locator("#raw").get_attribute("open") is None
    page.select_option("select[name=status]", "acknowledged")
    page.select_option("select[name=assignee]", "alice")
    page.fill("input[name=ticket_ref]", "SEC-101")
    page.fill("textarea[name=note]", "Taking this one.")
    page.click("main button[name=save]")
    page.wait_for_load_state()
    assert page.locator("#finding-status").inner_text() == "Acknowledged"
    history = page.locator("#history")
    for text in ["alice", "Status changed", "acknowledged", "SEC-101", "Taking this one."]:
        assert history.get_by_text(text).first.is_visible(), text
    screenshot(page, "finding_detail_acknowledged")
    assert page.console_errors == []


def test_filter_by_severity_and_account_then_bulk_change(page, world, account_a) -> None:
    login(page, "alice")
    page.goto(f"{page.base_url}/findings/")
    assert rows(page) == 12
    page.check("input[name=severity][value=high]")
    page.check("input[name=severity][value=critical]")
    page.select_option("select[name=account]", [account_a.account_id])
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r".*severity=.*"))
    query = parse_qs(urlparse(page.url).query)
    # Only the filters that apply travel in the URL (findings.js leaves the empty ones out).
    assert query == {
        "severity": ["critical", "high"],
        "account": [account_a.account_id],
        "ordering": ["-severity"],
    }
    expected = Finding.objects.filter(account=account_a, severity__in=["critical", "high"]).count()
    assert rows(page) == expected == 4
    badges = page.locator("table.findings-table tbody .severity").all_inner_texts()
    assert set(badges) <= {"Critical", "High"}
    api = page.locator("#api-twin").get_attribute("href")
    assert api.startswith("/api/v1/findings/?") and "account=222222222222" in api
    screenshot(page, "findings_list_filtered")

    page.check("#tick-all")
    page.select_option("#bulk-status", "resolved")
    page.fill("#bulk-note", "Resolved after patching")
    page.click("main button[name=bulk]")
    page.wait_for_load_state()
    assert page.get_by_text(f"{expected} of {expected} findings set to Resolved.").is_visible()
    assert "severity=critical" in page.url  # back on the same filtered list
    assert set(
        Finding.objects.filter(account=account_a, severity__in=["critical", "high"]).values_list(
            "status", flat=True
        )
    ) == {"resolved"}
    screenshot(page, "findings_list_bulk_done")
    assert page.console_errors == []


def test_a_viewer_gets_no_workflow_controls(page, world, charlie) -> None:
    login(page, "charlie")
    page.goto(f"{page.base_url}/findings/")
    assert page.locator("#no-findings").is_visible()
    assert page.locator("#bulk-form").count() == 0
    response = page.goto(f"{page.base_url}/findings/{world[0].pk}/")
    assert response.status == 404
    assert "Finding number" not in page.content()


# --- hostile findings, collected from the emulator's demo organisation ------------------------

DEMO_ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")


@pytest.fixture
def aws_world():
    from aws_emulator import demo_world

    return demo_world(hub_account_id="999999999999", seed=20240514)


@pytest.fixture
def hostile(emulator, aws_world, alice):
    for account_id in DEMO_ACCOUNTS:
        account_upsert(
            actor=None,
            account_id=account_id,
            role_arn=f"arn:aws:iam::{account_id}:role/WatchpostReadOnly",
            external_id="watchpost-demo-external-id",
            regions=["us-east-1", "eu-west-1"],
        )
    collect()
    account = Finding.objects.first().account
    account.name = "Prod " + PWN  # names come from people and Organizations: as hostile
    account.save()
    # Findings whose every shown string tries to run script, on top of the demo's own; a dozen,
    # so that their type is the overview's most frequent.
    for n in range(12):
        stored(
            account,
            severity_score=9.9,
            type="Recon:EC2/" + PWN,
            title=f"Pwned? {n} {PWN}",
            description="<script>window.__pwned=1</script>",
            domain=PWN,
            resource_id='=HYPERLINK("http://203.0.113.66/x","x")',
        )
    return Finding.objects.all()


HOVER = """([chart, point]) => {
  const element = document.querySelector(`[data-chart=${chart}]`);
  Plotly.Fx.hover(element, [{curveNumber: 0, pointNumber: point}]);
}"""
HOVER_LABEL = "chart => document.querySelector(`[data-chart=${chart}] .hoverlayer .hovertext`)"


def hover_text(page, chart: str, point: int | list[int]) -> str | None:
    """The hover label Plotly shows for one point, as the text a person reads. Plotly's own hover
    (a mouse over thin bars is not exact), one at a time: Plotly throttles hovers to one per 50 ms."""
    page.wait_for_timeout(120)
    page.evaluate(HOVER, [chart, point])
    page.wait_for_timeout(120)
    return page.evaluate(f"chart => ({HOVER_LABEL})(chart)?.textContent ?? null", chart)


def chart_points(page, chart: str) -> int:
    return page.locator(f"[data-chart={chart}] .bars .point").count()


def assert_inert(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def test_hostile_findings_are_plain_text_everywhere(page, hostile) -> None:
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    demo = hostile.exclude(title__startswith="Pwned?")
    tor = demo.filter(title__contains="<script>alert(1)</script>").first()
    domain = demo.filter(domain__contains="onerror").first()
    csv_probe = demo.filter(title__startswith="=HYPERLINK").first()
    assert tor and domain and csv_probe
    login(page, "alice")

    page.goto(f"{page.base_url}/findings/?ordering=-severity")
    assert page.get_by_text("Pwned? 0 " + PWN).is_visible()
    assert_inert(page)
    screenshot(page, "findings_list_hostile")

    page.goto(f"{page.base_url}/findings/?q=script")
    assert page.get_by_text(tor.title).first.is_visible()
    assert_inert(page)
    page.goto(f"{page.base_url}/findings/?q=HYPERLINK")
    assert page.get_by_text(csv_probe.title).first.is_visible()
    assert_inert(page)

    for finding in (tor, domain, csv_probe, hostile.filter(title__startswith="Pwned?").first()):
        page.goto(f"{page.base_url}/findings/{finding.pk}/")
        assert page.locator("#finding-title").inner_text() == finding.title
        page.click("#raw summary")
        assert page.locator("pre.raw-json").is_visible()
        assert_inert(page)
        assert page.locator("#finding-domain").inner_text() == (finding.domain or "—")
    screenshot(page, "finding_detail_hostile")

    page.goto(f"{page.base_url}/overview/")
    charts_rendered(page, 3)
    rows = page.evaluate("document.querySelector('[data-chart=fig-heatmap]').data[0].z.length")
    page.locator("[data-chart=fig-heatmap]").scroll_into_view_if_needed()
    plot = page.locator("[data-chart=fig-heatmap] .nsewdrag").bounding_box()
    cells = []
    for row in range(rows):  # the mouse over the first column of each row
        page.mouse.move(
            plot["x"] + plot["width"] * 0.1,
            plot["y"] + plot["height"] * (row + 0.5) / rows,
            steps=4,
        )
        page.wait_for_timeout(150)
        cells.append(page.evaluate(f"c => ({HOVER_LABEL})(c)?.textContent ?? null", "fig-heatmap"))
    assert any(f"Prod {PWN}" in (text or "") for text in cells), cells
    hovered = [hover_text(page, "fig-types", i) for i in range(chart_points(page, "fig-types"))]
    assert f"Recon:EC2/{PWN}: 12 open" in hovered  # shown as text, not markup
    assert_inert(page)
    assert_inert(page)
    labels = page.locator("[data-chart=fig-types] .ytick text").evaluate_all(
        "texts => texts.map(t => t.textContent)"
    )
    assert any(label.startswith('Recon:EC2/<img src=x onerror="') for label in labels), labels
    screenshot(page, "findings_overview_hostile")

    response = page.request.get(f"{page.base_url}/findings/export.csv?q=HYPERLINK")
    body = response.text()
    assert response.ok and "'=HYPERLINK(" in body and "\n=HYPERLINK" not in body
    assert ",=HYPERLINK" not in body
    assert page.console_errors == []
