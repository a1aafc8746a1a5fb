"""Governance in a real browser: accept one finding's risk from its page, the rules and the SLA
pages with the demo's month of history, the overview's breaches and accepted risks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from findings.models import Finding, RiskAcceptance
from tests.browser.conftest import login, screenshot
from tests.browser.test_accessibility import ACCOUNTS, aws_world, demo  # noqa: F401

assert ACCOUNTS  # the organisation the demo fixture builds


def test_accept_a_findings_risk_and_read_the_governance_pages(page: Any, demo: Any) -> None:  # noqa: F811
    login(page, "alice")
    finding = Finding.objects.open().filter(source="guardduty").order_by("pk").first()
    assert finding is not None
    page.goto(f"{page.base_url}/findings/{finding.pk}/")
    page.click("#accept-risk summary")
    page.fill("#id_accept-reason", "Honeypot instance: <b>probes expected</b>")
    until = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    page.fill("#id_accept-expires_on", until)
    page.click("#accept-risk button[type=submit]")
    page.wait_for_selector("#accepted-by")
    assert "<b>probes expected</b>" in page.inner_text("#accepted-by")  # text, not markup
    screenshot(page, "governance_finding_accepted")
    assert Finding.objects.get(pk=finding.pk).status == "accepted"

    page.goto(f"{page.base_url}/risk-acceptances/")
    rule = RiskAcceptance.objects.get(finding=finding)
    assert page.locator(f"#rule-{rule.pk}").count() == 1
    screenshot(page, "governance_risk_acceptances")
    page.click(f"#rule-{rule.pk} td.num a")
    assert page.locator(f'tr[data-finding="{finding.pk}"]').count() == 1

    page.goto(f"{page.base_url}/sla/")
    assert page.locator("#mttr-severity tbody tr").count() == 5
    screenshot(page, "governance_sla")

    page.goto(f"{page.base_url}/overview/")
    accepted = int(page.inner_text("#count-accepted .stat-value"))
    assert accepted == Finding.objects.filter(status="accepted").count() >= 1
    screenshot(page, "governance_overview")
