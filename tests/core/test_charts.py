"""core.charts.esc: any string is shown by Plotly as the characters it holds, and is never markup."""

from __future__ import annotations

import html
import re

import plotly.graph_objects as go
import pytest

from core.charts import chart_layout, esc, figure_json

HOSTILE = [
    "<b>bold</b>",
    "a & b",
    "&lt;already escaped&gt;",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "javascript:alert(1)",
    "<img src=x onerror=alert(1)>",
    'it\'s "quoted"',
    "%{customdata} and %{y:,.2f}",
    "<br>line<br/>break",
    "&#60;b&#62;",
    "plain text",
]


def plotly_display(text: str) -> str:
    """What Plotly shows of a label without tags: entities decoded (its convertEntities)."""
    named = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0"}

    def decode(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith("#x"):
            return chr(int(inner[2:], 16))
        if inner.startswith("#"):
            return chr(int(inner[1:]))
        return named.get(inner, match.group(0))

    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", decode, text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_inert_and_shown_as_written(text):
    shown = esc(text)
    assert "<" not in shown and ">" not in shown  # no tag can open
    assert "%{" not in shown  # no template field can form
    assert '"' not in shown and "'" not in shown
    assert plotly_display(shown) == text  # the person reads exactly what AWS said


def test_an_ampersand_is_escaped_first_so_entities_in_the_input_stay_text():
    assert esc("&lt;") == "&amp;lt;" and esc("<") == "&lt;"
    assert esc(42) == "42" and esc(None) == "None"


def test_the_layout_escapes_its_title_and_note():
    fig = chart_layout(go.Figure(), title="<b>x</b>", note="as of <script>")
    data = figure_json(fig)
    assert data["layout"]["title"]["text"] == html.escape("<b>x</b>", quote=False)
    assert data["layout"]["annotations"][0]["text"] == "as of &lt;script&gt;"


def test_every_app_builds_on_the_one_chart_module():
    from costs import charts as costs_charts
    from findings import charts as findings_charts
    from findings.categories import charts as category_charts
    from findings.inspector import charts as inspector_charts
    from principals import charts as principal_charts

    for module in (
        costs_charts,
        findings_charts,
        category_charts,
        inspector_charts,
        principal_charts,
    ):
        assert module.esc is esc, module.__name__
        assert not hasattr(module, "figure_json"), module.__name__
