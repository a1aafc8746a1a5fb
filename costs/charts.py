"""Figure builders of the costs pages: plain rows in, a Plotly figure out.

Built on core.charts: every string that came from AWS or a person (account names, services, budget
names) goes through `esc` before it reaches a figure; hover templates are our own constant strings. Every point
carries in `customdata` the path of the list behind it (static/js/charts.js opens it on click), and
every figure states when its data is from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from core.charts import chart_layout, esc, tidy_axes

OTHER = "Other"
PALETTE = [
    "#1f5fbf", "#e8710a", "#0b8043", "#c5221f", "#8430ce", "#12a4af", "#b06000", "#5f6368",
    "#d01884", "#188038",
]  # fmt: skip
STATUS_COLOURS = {
    "over": "#b42318",
    "forecast_over": "#e8710a",
    "warning": "#f5b800",
    "ok": "#067647",
}


def _as_of_text(as_of: datetime | None) -> str:
    return f"Data as of {as_of:%Y-%m-%d %H:%M} UTC" if as_of else "No data collected yet"


def _layout(
    fig: go.Figure, *, title: str, as_of: datetime | None, height: int = 360, **extra: Any
) -> go.Figure:
    """The charts' layout with the time of the data at the top right."""
    chart_layout(
        fig,
        title=title,
        height=height,
        note=_as_of_text(as_of),
        margin={"b": 70},
        legend={"y": -0.15, "yanchor": "top", "font": {"size": 11}},
        **extra,
    )
    return tidy_axes(fig)


def _top_keys(rows: Iterable[Mapping[str, Any]], limit: int) -> list[str]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["key"]] += row["amount"]
    return sorted(totals, key=lambda k: totals[k], reverse=True)[:limit]


def stacked_spend_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    labels: Mapping[str, str],
    link: Callable[[str], str],
    as_of: datetime | None,
    limit: int = 8,
) -> go.Figure:
    """Daily spend stacked by key (account or service): rows {day, key, amount}. Beyond the
    `limit` largest keys the rest is one "Other" stack, linking to the unfiltered list."""
    top = _top_keys(rows, limit)
    series: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        series[row["key"] if row["key"] in top else OTHER][row["day"]] += row["amount"]
    days = sorted({row["day"] for row in rows})
    fig = go.Figure()
    for index, key in enumerate([*top, OTHER] if OTHER in series else top):
        name = labels.get(key, key) if key != OTHER else OTHER
        fig.add_bar(
            name=esc(name),
            x=[d.isoformat() for d in days],
            y=[float(series[key][d]) for d in days],
            customdata=[link(key if key != OTHER else "") for _ in days],
            marker_color=PALETTE[index % len(PALETTE)],
            hovertemplate=f"{esc(name)}<br>%{{x}}: $%{{y:,.2f}}<extra></extra>",
        )
    fig.update_layout(barmode="stack", xaxis_type="date", yaxis_tickprefix="$")
    return _layout(fig, title=title, as_of=as_of, height=460)


def month_to_date_figure(
    *,
    this_month: Sequence[Mapping[str, Any]],
    last_month: Sequence[Mapping[str, Any]],
    month_end: tuple[date, Decimal] | None,
    link: str,
    as_of: datetime | None,
) -> go.Figure:
    """Cumulative spend by day of month, this month against last, with the month-end forecast.
    Rows {day, amount} (already summed per day)."""
    fig = go.Figure()
    for name, rows, dash in (
        ("This month", this_month, "solid"),
        ("Last month", last_month, "dot"),
    ):
        total, xs, ys = Decimal(0), [], []
        for row in sorted(rows, key=lambda r: r["day"]):
            total += row["amount"]
            xs.append(row["day"].day)
            ys.append(float(total))
        fig.add_scatter(
            name=name,
            x=xs,
            y=ys,
            mode="lines+markers",
            line={"dash": dash},
            customdata=[link] * len(xs),
            hovertemplate=f"{name}, day %{{x}}: $%{{y:,.2f}}<extra></extra>",
        )
    if month_end is not None:
        day, amount = month_end
        fig.add_scatter(
            name="Forecast (month end)",
            x=[day.day],
            y=[float(amount)],
            mode="markers",
            marker={"symbol": "diamond", "size": 12},
            customdata=[link],
            hovertemplate="Forecast at month end: $%{y:,.2f}<extra></extra>",
        )
    fig.update_layout(
        xaxis={"title": {"text": "Day of month", "standoff": 4}}, yaxis_tickprefix="$"
    )
    return _layout(fig, title="Month to date against last month", as_of=as_of)


def anomaly_figure(
    *,
    daily: Sequence[Mapping[str, Any]],
    start: date | None,
    end: date | None,
    expected: Decimal | None,
    actual: Decimal | None,
    link: str,
    as_of: datetime | None,
    totals_hidden: bool = False,
) -> go.Figure:
    """Expected against actual: the daily spend of the anomaly's service and account around its
    window (window shaded, expected spread evenly over it), or AWS's two totals without daily
    rows: only the totals known, never a missing one drawn as 0; with neither, the chart says why
    (`totals_hidden`: the person does not see every account of the anomaly)."""
    fig = go.Figure()
    if not daily or start is None:
        known = [
            (name, value, colour)
            for name, value, colour in (
                ("Expected", expected, "#98a2b3"),
                ("Actual", actual, "#b42318"),
            )
            if value is not None
        ]
        title = "Expected and actual spend (AWS)"
        if not known:
            why = (
                "Totals not shown: this anomaly's root causes include accounts you do not see."
                if totals_hidden
                else "AWS gave no expected or actual spend for this anomaly."
            )
            _layout(fig, title=title, as_of=as_of)
            fig.add_annotation(
                text=esc(why), xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False
            )
            fig.update_xaxes(visible=False)
            fig.update_yaxes(visible=False)
            return fig
        fig.add_bar(
            x=[name for name, _, _ in known],
            y=[float(value) for _, value, _ in known],
            marker_color=[colour for _, _, colour in known],
            customdata=[link] * len(known),
            hovertemplate="%{x}: $%{y:,.2f}<extra></extra>",
        )
        fig.update_layout(yaxis_tickprefix="$")
        return _layout(fig, title=title, as_of=as_of)
    last = end or start
    days = [row["day"] for row in daily]
    fig.add_bar(
        name="Actual (daily)",
        x=[d.isoformat() for d in days],
        y=[float(row["amount"]) for row in daily],
        marker_color=["#b42318" if start <= d <= last else "#98a2b3" for d in days],
        customdata=[link] * len(days),
        hovertemplate="%{x}: $%{y:,.2f}<extra></extra>",
    )
    if expected is not None:
        span = (last - start).days + 1
        window = [start + timedelta(days=n) for n in range(span)]
        fig.add_scatter(
            name="Expected (AWS, per day)",
            x=[d.isoformat() for d in window],
            y=[float(expected) / span] * span,
            mode="lines",
            line={"dash": "dash", "color": "#1d2330"},
            hovertemplate="Expected: $%{y:,.2f} a day<extra></extra>",
        )
    fig.add_vrect(
        x0=(start - timedelta(hours=12)).isoformat(),
        x1=(last + timedelta(hours=12)).isoformat(),
        fillcolor="#fee4e2",
        opacity=0.4,
        line_width=0,
    )
    fig.update_layout(xaxis_type="date", yaxis_tickprefix="$")
    return _layout(fig, title="Expected and actual spend", as_of=as_of)


def budget_figure(
    budgets: Sequence[Mapping[str, Any]], *, link: Callable[[str], str], as_of: datetime | None
) -> go.Figure:
    """Actual and forecast against each budget's limit, in percent of the limit (budgets of very
    different sizes side by side); rows {name, account_id, status, limit, actual, forecast, unit}.
    """
    rows = [b for b in budgets if b["limit"]]
    labels = [f"{esc(b['name'])} ({b['account_id']})" for b in rows]
    pct = [float(b["actual"] or 0) / float(b["limit"]) * 100 for b in rows]
    fpct = [float(b["forecast"] or 0) / float(b["limit"]) * 100 for b in rows]
    text = [
        esc(
            f"{b['actual'] or 0:,.2f} of {b['limit']:,.2f} {b['unit']}; forecast {b['forecast'] or 0:,.2f}"
        )
        for b in rows
    ]
    urls = [link(b["account_id"]) for b in rows]
    fig = go.Figure()
    fig.add_bar(
        name="Actual",
        y=labels,
        x=pct,
        orientation="h",
        marker_color=[STATUS_COLOURS.get(b["status"], "#1f5fbf") for b in rows],
        hovertext=text,
        customdata=urls,
        hovertemplate="%{y}<br>Actual: %{x:.1f}% of the limit<br>%{hovertext}<extra></extra>",
    )
    fig.add_scatter(
        name="Forecast",
        y=labels,
        x=fpct,
        mode="markers",
        marker={"symbol": "diamond", "size": 11, "color": "#1d2330"},
        customdata=urls,
        hovertemplate="%{y}<br>Forecast: %{x:.1f}% of the limit<extra></extra>",
    )
    fig.add_vline(x=100, line_dash="dash", line_color="#b42318")
    fig.update_layout(xaxis_title="% of the budget's limit", yaxis_autorange="reversed")
    return _layout(
        fig,
        title="Actual and forecast against budget, this period",
        as_of=as_of,
        height=max(260, 60 + 34 * len(rows)),
    )
