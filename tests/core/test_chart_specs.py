"""Figures built as plain specs (core.charts.figure_spec) are valid Plotly, exactly as Plotly
would serialise them: Plotly validates every property of the spec and gives back the same JSON."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
import pytest

from core.charts import chart_layout, figure_json, figure_spec, layout_spec, spec_update
from findings import charts as overview_charts
from findings.categories import charts as categories_charts
from findings.choices import Severity
from findings.inspector import charts as inspector_charts

HOSTILE = '<img src=x onerror=alert(1)> & "quoted" {x}'


def plotly_round_trip(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec through Plotly's validation (an unknown or ill-typed property raises)."""
    return figure_json(go.Figure(spec))


def _trend(days: int) -> list[dict[str, Any]]:
    first = date(2026, 11, 1)
    return [
        {"day": first + timedelta(days=i), "severity": s.value, "count": None if i == 1 else i}
        for i in range(days)
        for s in Severity
    ]


def _cells() -> list[dict[str, Any]]:
    return [
        {"account_id": a, "name": n, "severity": s.value, "count": i, "url": f"/findings/?a={a}"}
        for a, n in (("111111111111", HOSTILE), ("222222222222", ""))
        for i, s in enumerate(Severity)
    ]


FIGURES = {
    "trend, a month": lambda: overview_charts.severity_trend_figure(
        _trend(30), links={s.value: f"/findings/?severity={s.value}" for s in Severity}
    ),
    "trend, one day": lambda: overview_charts.severity_trend_figure(
        _trend(1), links={s.value: "/findings/" for s in Severity}
    ),
    "heatmap": lambda: overview_charts.severity_heatmap_figure(_cells(), title=HOSTILE),
    "heatmap, empty": lambda: overview_charts.severity_heatmap_figure([]),
    "top types": lambda: overview_charts.top_types_figure(
        [
            {"type": HOSTILE, "count": 7, "url": "/findings/?type=x"},
            {"type": "B", "count": 3, "url": ""},
        ]
    ),
    "top types, empty": lambda: overview_charts.top_types_figure([]),
    "severity and type": lambda: inspector_charts.severity_type_figure(
        {"package_vulnerability": {"critical": 2}, HOSTILE: {"high": 1}},
        severities=["critical", "high", "untriaged"],
        link=lambda kind, s: f"/findings/?vulnerability_type={kind}&severity={s}",
    ),
    "severity and type, empty": lambda: inspector_charts.severity_type_figure(
        {}, severities=["critical"], link=lambda kind, s: ""
    ),
    "coverage": lambda: inspector_charts.coverage_figure(
        [{"resource_type": HOSTILE, "scanned": 3, "not_scanned": 1}]
    ),
    "age": lambda: inspector_charts.age_figure(
        [{"bucket": "0-7 days", "critical": 1, "untriaged": 2}, {"bucket": "8-30 days"}],
        severities=["critical", "high", "untriaged"],
        link=lambda bucket, s: f"/findings/?severity={s}",
    ),
    "top CVEs": lambda: inspector_charts.top_cves_figure(
        [{"cve_id": HOSTILE, "resources": 4, "findings": 5, "severity": "critical"}],
        link=lambda cve: f"/findings/?cve={cve}",
    ),
    "Macie bars": lambda: categories_charts.bar_figure(
        [
            {"label": HOSTILE, "count": 9, "url": "/findings/?bucket=x", "severity": "high"},
            {"label": "b", "count": 1, "url": "", "severity": "?"},
        ],
        title=HOSTILE,
        colour_by_severity=True,
    ),
    "Macie bars, empty": lambda: categories_charts.bar_figure([], title="Top buckets"),
}


@pytest.mark.parametrize("name", FIGURES)
def test_a_figure_spec_is_the_json_plotly_would_make_of_it(name: str) -> None:
    spec = FIGURES[name]()
    assert isinstance(spec, dict)
    assert plotly_round_trip(spec) == spec
    assert figure_json(spec) is spec  # already plain JSON: nothing to convert


def test_the_spec_layout_is_the_layout_chart_layout_gives_a_figure() -> None:
    fig = chart_layout(
        go.Figure(), title=HOSTILE, note="as of <now>", margin={"b": 40}, legend={"y": -0.1}
    )
    spec = figure_spec(
        [], layout_spec(title=HOSTILE, note="as of <now>", margin={"b": 40}, legend={"y": -0.1})
    )
    assert figure_json(fig) == spec


def test_a_spec_update_merges_dicts_and_replaces_everything_else() -> None:
    layout = {"margin": {"l": 60, "b": 60}, "annotations": [{"text": "a"}], "height": 300}
    spec_update(layout, {"margin": {"b": 20}, "annotations": [{"text": "b"}], "xaxis": {"x": 1}})
    assert layout == {
        "margin": {"l": 60, "b": 20},
        "annotations": [{"text": "b"}],
        "height": 300,
        "xaxis": {"x": 1},
    }
