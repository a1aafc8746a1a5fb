"""Figure builders of the categories and Macie pages: plain rows in, a Plotly figure out.

Strings from AWS (bucket names, data types) are escaped for Plotly's pseudo-HTML with core.charts.esc;
every point carries the list it counts in `customdata` (static/js/charts.js opens it on click).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import plotly.graph_objects as go

from core.charts import GRID, FigureSpec, chart_layout, esc
from findings.charts import SEVERITY_COLOURS, count_bars_figure

__all__ = ["bar_figure", "category_trend_figure"]


def category_trend_figure(rows: Iterable[Mapping[str, Any]]) -> go.Figure:
    """Open findings per category per day, stacked: rows {day, category, count, url}."""
    by_category: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    fig = go.Figure(
        [
            go.Bar(
                name=esc(category),
                x=[r["day"] for r in points],
                y=[r["count"] for r in points],
                customdata=[r["url"] for r in points],
                hovertext=[f"{esc(category)}: {r['count']} open on {r['day']}" for r in points],
                hovertemplate="%{hovertext}<extra></extra>",
            )
            for category, points in sorted(by_category.items())
        ]
    )
    chart_layout(fig, title="Open findings by category over time", height=380)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="date", tickformat="%d %b")
    fig.update_yaxes(rangemode="tozero", gridcolor=GRID)
    return fig


def bar_figure(
    rows: Iterable[Mapping[str, Any]], *, title: str, colour_by_severity: bool = False
) -> FigureSpec:
    """A horizontal bar per row {label, count, url} (and `severity` to colour by), largest on top.
    Built as Plotly's JSON (core.charts.figure_spec): the Macie page draws three on each view."""

    def colour(row: Mapping[str, Any]) -> str:
        if colour_by_severity:
            return SEVERITY_COLOURS.get(row.get("severity", ""), "#1f5fbf")
        return "#1f5fbf"

    return count_bars_figure(rows, label="label", title=title, colour=colour)
