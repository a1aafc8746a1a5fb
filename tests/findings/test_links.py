"""Links from AWS data: only http(s) URLs become an href (core.links, the `safe_url` filter)."""

from __future__ import annotations

import pytest

from core.links import safe_http_url
from findings.records import VulnerabilityRecord


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "https:no-host",
        "http://[::1",
        "",
        None,
        42,
    ],
)
def test_anything_but_an_http_url_is_no_link(value):
    assert safe_http_url(value) == ""


@pytest.mark.parametrize(
    "value", ["https://nvd.nist.gov/vuln/detail/CVE-2024-1", "HTTP://example.com/a?b=c&d=e"]
)
def test_http_urls_stay(value):
    assert safe_http_url(value) == value


def test_a_javascript_source_url_from_inspector_is_not_a_link(client, alice, account_a, store):
    finding = store(
        account_a,
        source="inspector",
        source_id="arn:aws:inspector2:us-east-1:222222222222:finding/abc",
        type="PACKAGE_VULNERABILITY",
        vulnerability=VulnerabilityRecord(
            cve_id="CVE-2024-0001", source_url="javascript:alert(document.domain)"
        ),
    )
    client.force_login(alice)
    html = client.get(f"/findings/{finding.pk}/").content.decode()
    assert "CVE-2024-0001" in html
    assert "javascript:" not in html
    assert "source ↗" not in html


def test_an_https_source_url_is_a_link(client, alice, account_a, store):
    url = "https://nvd.nist.gov/vuln/detail/CVE-2024-0002"
    finding = store(
        account_a,
        source="inspector",
        source_id="arn:aws:inspector2:us-east-1:222222222222:finding/def",
        type="PACKAGE_VULNERABILITY",
        vulnerability=VulnerabilityRecord(cve_id="CVE-2024-0002", source_url=url),
    )
    client.force_login(alice)
    html = client.get(f"/findings/{finding.pk}/").content.decode()
    assert f'href="{url}"' in html


def test_templates_link_aws_urls_only_through_safe_url():
    """Every href made of a URL field from AWS data (`*source_url*`, `*console_url*`) is filtered."""
    import re
    from pathlib import Path

    from django.conf import settings

    unsafe = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for match in re.finditer(r'href="\{\{\s*([^}]*?)\s*\}\}"', path.read_text()):
            expr = match.group(1)
            if (
                re.search(r"source_url|console_url|sourceUrl|Url\b", expr)
                and "safe_url" not in expr
            ):
                unsafe.append(f"{path.name}: {expr}")
    assert unsafe == []
