"""Figure builders of the Users page: plain rows in, a Plotly figure out.

Built on core.charts: every string goes through `esc` before it reaches a figure. Every point carries in `customdata` the path of the list
behind it (static/js/charts.js opens it on click).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import plotly.graph_objects as go

from core.charts import GRID, chart_layout, esc
from principals.choices import IdentityType, UserTier

TIER_COLOURS = {
    UserTier.PLATINUM: "#5b5f97",
    UserTier.GOLD: "#c99a06",
    UserTier.SILVER: "#8a94a6",
    UserTier.BRONZE: "#a0612b",
    None: "#d0d5dd",
}
NO_TIER_LABEL = "No tier (AWS service)"


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
    chart_layout(
        fig,
        title="Principals by identity type and tier",
        margin={"l": 50},
        legend={"y": -0.18, "yanchor": "top", "traceorder": "normal"},
        barmode="stack",
        yaxis={"title": {"text": "principals"}, "gridcolor": GRID, "rangemode": "tozero"},
    )
    return fig
