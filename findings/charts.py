"""Figure builders of the findings overview: plain rows in, a Plotly figure spec out.

Built on core.charts: every string that came from AWS or a person (account names, finding types)
goes through `esc` before it reaches a figure; hover templates are our own constant strings. Every
point carries in `customdata` the path of the list it counts (static/js/charts.js opens it on click).
Each figure is built as Plotly's JSON (core.charts.figure_spec), not as a go.Figure: validating
every property cost a third of the overview's time; tests check that Plotly accepts them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from core.charts import GRID, FigureSpec, esc, figure_spec, layout_spec
from findings.choices import Severity

__all__ = [
    "SEVERITY_COLOURS",
    "count_bars_figure",
    "severity_heatmap_figure",
    "severity_trend_figure",
    "top_types_figure",
]

# The stylesheet's --critical ... --info, so charts and badges agree.
SEVERITY_COLOURS: dict[str, str] = {
    Severity.CRITICAL: "#7a0916",
    Severity.HIGH: "#d92d20",
    Severity.MEDIUM: "#f79009",
    Severity.LOW: "#2e90fa",
    Severity.INFORMATIONAL: "#98a2b3",
}


def _day(iso_day: str, shift: int) -> str:
    return (date.fromisoformat(iso_day) + timedelta(days=shift)).isoformat()


def _short(value: str, limit: int) -> str:
    """A tick label short enough to leave the plot its width (the hover label shows it whole)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _short_ticks(labels: list[str], limit: int) -> dict[str, Any]:
    """Axis settings that show `labels` shortened while the categories stay whole (for the hover
    and the chart's data table, core.chart_data)."""
    return {
        "tickmode": "array",
        "tickvals": [esc(label) for label in labels],
        "ticktext": [esc(_short(label, limit)) for label in labels],
    }


def severity_trend_figure(
    rows: Iterable[Mapping[str, Any]], *, links: Mapping[str, str]
) -> FigureSpec:
    """Open findings per day, one line per band: rows {day, severity, count (None: no record)};
    each point links to `links[severity]`, the list of that band's open findings."""
    series: dict[str, list[tuple[str, Any]]] = {s.value: [] for s in Severity}
    for row in rows:
        series[row["severity"]].append((row["day"].isoformat(), row["count"]))
    data = []
    for band in Severity:
        points = series[band.value]
        data.append(
            {
                "type": "scatter",
                "name": esc(band.label),
                "x": [day for day, _n in points],
                "y": [n for _d, n in points],
                "mode": "lines+markers",
                "line": {"color": SEVERITY_COLOURS[band], "width": 2},
                "marker": {"size": 6},
                "customdata": [links[band.value]] * len(points),
                "hovertemplate": f"{esc(band.label)}: %{{y}} open on %{{x}}<extra></extra>",
            }
        )
    days = sorted({day for points in series.values() for day, _n in points})
    span = max(len(days), 1)
    xaxis: dict[str, Any] = {
        "type": "date",
        "tickformat": "%d %b",
        "gridcolor": GRID,
        "dtick": 86_400_000 * max(1, -(-span // 8)),  # whole days, at most about 8 ticks
    }
    if span < 3:  # a day or two alone would be drawn against hours: pad the axis by a day each side
        xaxis["range"] = [_day(days[0], -1), _day(days[-1], 1)]
    layout = layout_spec(title="Open findings by severity")
    layout["xaxis"] = xaxis
    layout["yaxis"] = {"rangemode": "tozero", "gridcolor": GRID, "zerolinecolor": "#d0d5dd"}
    return figure_spec(data, layout)


def severity_heatmap_figure(
    cells: Iterable[Mapping[str, Any]], *, title: str = "Open findings by account and severity"
) -> FigureSpec:
    """Open findings per account or OU (rows) and band (columns): cells {account_id (or OU id),
    name, severity, count, url}; each cell links to its list."""
    cells = list(cells)
    accounts: dict[str, str] = {}
    for cell in cells:
        accounts.setdefault(cell["account_id"], f"{cell['account_id']} {cell['name']}".strip())
    bands = [s for s in Severity]
    index = {(c["account_id"], c["severity"]): c for c in cells}
    z, links, hover = [], [], []
    for account_id, label in accounts.items():
        label = esc(label)
        row = [index.get((account_id, band.value)) for band in bands]
        z.append([c["count"] if c else 0 for c in row])
        links.append([c["url"] if c else "" for c in row])
        hover.append(
            [
                f"{label}<br>{esc(band.label)}: {c['count'] if c else 0} open"
                for band, c in zip(bands, row, strict=True)
            ]
        )
    heatmap = {
        "type": "heatmap",
        "x": [esc(band.label) for band in bands],
        "y": [esc(label) for label in accounts.values()],
        "z": z,
        "text": hover,  # heatmaps take their hover template's fields from `text`
        "texttemplate": "%{z}",
        "customdata": links,
        "hovertemplate": "%{text}<extra></extra>",
        "colorscale": [[0, "#f8f9fb"], [0.01, "#fee4e2"], [1, "#b42318"]],
        "showscale": False,
        "xgap": 2,
        "ygap": 2,
    }
    layout = layout_spec(
        title=title, height=max(220, 90 + 42 * len(accounts)), margin={"t": 80, "b": 20}
    )
    # Categories, always: an account without a name is a label of digits only, which Plotly would
    # otherwise read as a number and place on a numeric axis.
    layout["yaxis"] = {
        "autorange": "reversed",
        "automargin": True,
        "type": "category",
        **_short_ticks(list(accounts.values()), 30),
    }
    layout["xaxis"] = {"side": "top", "showgrid": False, "type": "category"}
    return figure_spec([heatmap], layout)


def top_types_figure(rows: Iterable[Mapping[str, Any]]) -> FigureSpec:
    """The most frequent open finding types: rows {type, count, url}, largest at the top."""
    rows = list(rows)
    spec = count_bars_figure(rows, label="type", title="Top open finding types")
    spec["layout"]["yaxis"].update(_short_ticks([row["type"] for row in rows[::-1]], 44))
    return spec


def count_bars_figure(
    rows: Iterable[Mapping[str, Any]],
    *,
    label: str,
    title: str,
    colour: str | Callable[[Mapping[str, Any]], str] = "#1f5fbf",
) -> FigureSpec:
    """A horizontal bar of open findings per row {<label>, count, url}, the first row on top;
    `colour` one for every bar, or a row's own."""
    rows = list(rows)[::-1]  # Plotly draws the first bar at the bottom
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [row["count"] for row in rows],
        "y": [esc(row[label]) for row in rows],
        "customdata": [row["url"] for row in rows],
        "hovertext": [f"{esc(row[label])}: {row['count']} open" for row in rows],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {"color": colour if isinstance(colour, str) else [colour(r) for r in rows]},
        "text": [str(row["count"]) for row in rows],  # Plotly takes text as strings
        "textposition": "outside",
        "cliponaxis": False,
    }
    layout = layout_spec(title=title, height=max(220, 100 + 28 * len(rows)))
    layout["yaxis"] = {"automargin": True, "type": "category"}
    layout["xaxis"] = {"rangemode": "tozero", "gridcolor": GRID}
    return figure_spec([bars], layout)
