"""Figure builders of the Users page: plain rows in, a Plotly figure out.

Plotly renders names, tick labels and hover text as a subset of HTML, so every string is escaped with
html.escape before it reaches a figure. Every point carries in `customdata` the path of the list
behind it (static/js/charts.js opens it on click).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from principals.choices import IdentityType, UserTier

TIER_COLOURS = {
    UserTier.PLATINUM: "#5b5f97",
    UserTier.GOLD: "#c99a06",
    UserTier.SILVER: "#8a94a6",
    UserTier.BRONZE: "#a0612b",
    None: "#d0d5dd",
}
NO_TIER_LABEL = "No tier (AWS service)"


def esc(value: Any) -> str:
    """Text made inert for Plotly's pseudo-HTML (Plotly decodes the entities back for display)."""
    return html.escape(str(value), quote=False)


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON for json_script."""
    return json.loads(pio.to_json(fig, validate=False, remove_uids=True))


def _tier_label(tier: str | None) -> str:
    return UserTier(tier).label if tier else NO_TIER_LABEL


def principals_by_type_figure(
    rows: Iterable[Mapping[str, Any]], *, link: Callable[[str, str | None], str]
) -> go.Figure:
    """Principals by identity type, stacked by tier: rows {identity_type, tier, n}; a bar links to
    the Users page filtered on its identity type and tier (`link(identity_type, tier)`)."""
    counts: dict[tuple[str, str | None], int] = {}
    for row in rows:
        key = (row["identity_type"], row["tier"])
        counts[key] = counts.get(key, 0) + int(row["n"])
    types = [t for t in IdentityType if any(k[0] == t for k in counts)]
    fig = go.Figure()
    for tier in [*UserTier, None]:
        values = [counts.get((t.value, tier.value if tier else None), 0) for t in types]
        if not any(values):
            continue
        name = esc(_tier_label(tier))
        fig.add_bar(
            name=name,
            x=[esc(t.label) for t in types],
            y=values,
            customdata=[link(t.value, tier.value if tier else None) for t in types],
            marker_color=TIER_COLOURS[tier],
            hovertemplate=f"{name}<br>%{{x}}: %{{y}}<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        title={"text": esc("Principals by identity type and tier"), "x": 0, "font": {"size": 15}},
        margin={"l": 50, "r": 20, "t": 48, "b": 60},
        height=340,
        template="none",
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        font={"family": "system-ui, sans-serif", "size": 12, "color": "#1d2330"},
        legend={"orientation": "h", "y": -0.18, "yanchor": "top", "traceorder": "normal"},
        yaxis={"title": {"text": "principals"}, "gridcolor": "#eaecf0", "rangemode": "tozero"},
    )
    return fig
