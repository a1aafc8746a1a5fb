"""The shared Plotly infrastructure and the costs figure builders: pinned Plotly, inert text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import plotly
import plotly.offline
from django.template.loader import render_to_string

from core.charts import figure_json
from costs import charts

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>'
AS_OF = datetime(2024, 5, 14, 10, 0, tzinfo=UTC)


def vendored() -> Path:
    return ROOT / "static" / "vendor" / f"plotly-{plotly.offline.get_plotlyjs_version()}.min.js"


def test_the_vendored_plotly_is_the_installed_packages_byte_for_byte():
    installed = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert vendored().read_bytes() == installed.read_bytes()


def test_the_chart_scripts_load_the_vendored_version_and_charts_js():
    source = (ROOT / "templates" / "includes" / "_chart_scripts.html").read_text()
    assert f"'vendor/{vendored().name}'" in source and "'js/charts.js'" in source
    html = render_to_string("includes/_chart_scripts.html")
    assert "<script>" not in html  # no inline script under the CSP


def test_charts_js_is_the_one_place_that_calls_plotly():
    callers = [
        p for p in (ROOT / "static" / "js").glob("*.js") if "Plotly.newPlot" in p.read_text()
    ]
    assert [p.name for p in callers] == ["charts.js"]
    for template in (ROOT / "templates").rglob("*.html"):
        assert "Plotly." not in template.read_text(), template


def test_the_chart_include_writes_json_script_and_data_as_of():
    html = render_to_string(
        "includes/_chart.html",
        {
            "id": "fig-x",
            "figure": {"data": [{"name": "</script><script>alert(1)</script>"}]},
            "label": "X",
            "as_of": AS_OF,
        },
    )
    assert 'data-chart="fig-x"' in html and '<script id="fig-x" type="application/json">' in html
    assert "</script><script>alert(1)" not in html and "\\u003C/script\\u003E" in html
    assert "Data as of" in html and "2024-05-14 10:00 UTC" in html


def labels(figure: dict) -> list[str]:
    """Every string Plotly would render as pseudo-HTML: names, ticks (x/y), text, hovertext."""
    out = []
    for trace in figure["data"]:
        out.append(trace.get("name") or "")
        for key in ("x", "y", "text", "hovertext"):
            value = trace.get(key)
            if isinstance(value, list):
                out.extend(v for v in value if isinstance(v, str))
        out.append(trace.get("hovertemplate") or "")
    return out


def test_hostile_names_reach_plotly_escaped():
    rows = [{"day": date(2024, 5, 1), "key": "222222222222", "amount": Decimal("10.5")},
            {"day": date(2024, 5, 1), "key": HOSTILE, "amount": Decimal("1")}]  # fmt: skip
    figures = [
        charts.stacked_spend_figure(rows, title="t", labels={"222222222222": HOSTILE},
                                    link=lambda k: f"/costs/?account={k}", as_of=AS_OF),
        charts.budget_figure([{"name": HOSTILE, "account_id": "222222222222", "status": "over",
                               "limit": Decimal(10), "actual": Decimal(12), "forecast": None,
                               "unit": HOSTILE}], link=lambda a: "/budgets/", as_of=AS_OF),
    ]  # fmt: skip
    for fig in figures:
        data = figure_json(fig)
        for text in labels(data):
            assert "<a " not in text and "<img" not in text, text
        assert any("&lt;img src=x" in t for t in labels(data))


def test_every_point_links_to_its_list_and_every_figure_says_when_its_data_is_from():
    rows = [{"day": date(2024, 5, d), "key": f"svc{n}", "amount": Decimal(n)}
            for d in (1, 2) for n in range(12)]  # fmt: skip
    fig = figure_json(
        charts.stacked_spend_figure(
            rows, title="t", labels={}, as_of=AS_OF, link=lambda k: f"/costs/anomalies/?service={k}"
        )
    )
    names = [t["name"] for t in fig["data"]]
    assert len(names) == 9 and names[-1] == "Other"  # 8 largest, then the rest
    assert fig["data"][0]["customdata"] == ["/costs/anomalies/?service=svc11"] * 2
    assert fig["layout"]["annotations"][0]["text"] == "Data as of 2024-05-14 10:00 UTC"
    anomaly = figure_json(
        charts.anomaly_figure(
            daily=[],
            start=None,
            end=None,
            expected=Decimal(0),
            actual=Decimal(88),
            link="/costs/anomalies/",
            as_of=None,
        )
    )
    assert anomaly["data"][0]["y"] == [0.0, 88.0]
    assert anomaly["layout"]["annotations"][0]["text"] == "No data collected yet"
    json.dumps(anomaly)
