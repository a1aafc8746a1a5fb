"""The base of every Plotly figure: escaping for Plotly's pseudo-HTML, one layout, figure JSON.

Plotly renders trace names, tick labels, titles, text and hover text as a subset of HTML: a `<`
opens a tag (`<b>`, `<br>`, `<a href=...>`), and entities are decoded for display. So every string
that came from AWS or a person (account names, finding types, bucket names, services) goes
through `esc` before it reaches a figure, and is shown as the characters it holds; hover and text
templates are our own constant strings. App chart modules (findings/charts.py, costs/charts.py,
principals/charts.py...) build on this one; views pass `figure_json` to the page with json_script.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["GRID", "chart_layout", "esc", "figure_json", "tidy_axes"]

GRID = "#eaecf0"
_ZERO_LINE = "#d0d5dd"

# Plotly decodes &lt; &gt; &amp; and numeric entities, but not &quot; (it would be shown as such):
# quotes become numeric entities. "{" does too, so a name can never be read as a %{field} of a
# hover or text template it is written into; Plotly shows all of them as the characters they are.
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "{": "&#123;"}
)


def esc(value: Any) -> str:
    """Text made inert for Plotly's pseudo-HTML, displayed exactly as the characters it holds.

    No tag can open (no literal "<" is left), no entity of the input is decoded as one ("&" first
    becomes "&amp;"), and no template field can be formed; `javascript:` and the like stay text.
    """
    return str(value).translate(_ENTITIES)


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON for json_script (Plotly's encoder turns dates and numpy values)."""
    return json.loads(pio.to_json(fig, validate=False, remove_uids=True))


def chart_layout(
    fig: go.Figure,
    *,
    title: str,
    height: int = 340,
    note: str | None = None,
    margin: dict[str, int] | None = None,
    legend: dict[str, Any] | None = None,
    **extra: Any,
) -> go.Figure:
    """Our look: title (escaped), white background, system font, legend below the plot.

    `note` is a small escaped line at the top right (e.g. "Data as of ..."); `margin` and `legend`
    override parts of the defaults; anything else goes to Plotly's update_layout as given.
    """
    layout: dict[str, Any] = {
        "title": {"text": esc(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 60, **(margin or {})},
        "height": height,
        "template": "none",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1d2330"},
        "legend": {"orientation": "h", "y": -0.2, **(legend or {})},
        "hoverlabel": {"align": "left"},
    }
    if note is not None:
        layout["annotations"] = [
            {
                "text": esc(note),
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.08,
                "xanchor": "right",
                "showarrow": False,
                "font": {"size": 11, "color": "#667085"},
            }
        ]
    fig.update_layout(**layout, **extra)
    return fig


def tidy_axes(fig: go.Figure) -> go.Figure:
    """Light grid and zero lines, and margins that grow to fit long tick labels."""
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=_ZERO_LINE, automargin=True)
    fig.update_xaxes(automargin=True)
    return fig
