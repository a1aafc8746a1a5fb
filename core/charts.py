"""The base of every Plotly figure: escaping for Plotly's pseudo-HTML, one layout, figure JSON.

Plotly renders trace names, tick labels, titles, text and hover text as a subset of HTML: a `<`
opens a tag (`<b>`, `<br>`, `<a href=...>`), and entities are decoded for display. So every string
that came from AWS or a person (account names, finding types, bucket names, services) goes
through `esc` before it reaches a figure, and is shown as the characters it holds; hover and text
templates are our own constant strings. App chart modules (findings/charts.py, costs/charts.py,
principals/charts.py...) build on this one; views pass `figure_json` to the page with json_script.

A builder returns either a `go.Figure` or, where Plotly's validation of every property would cost
more than the page's own work (the overview and the Inspector report: a third of their time), the
figure as a plain spec in Plotly's JSON schema (`figure_spec`, `layout_spec`, `spec_update`): the
same JSON a `go.Figure` serialises to, and tests check that Plotly accepts it unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "GRID",
    "FigureSpec",
    "chart_layout",
    "esc",
    "figure_json",
    "figure_spec",
    "layout_spec",
    "spec_update",
    "tidy_axes",
    "tidy_axes_spec",
]

# A figure as Plotly's JSON: {"data": [trace, ...], "layout": {...}}, each trace with its "type".
FigureSpec = dict[str, Any]

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


def figure_json(fig: go.Figure | FigureSpec) -> dict[str, Any]:
    """The figure as plain JSON for json_script (Plotly's encoder turns dates and numpy values);
    a figure built as a spec (`figure_spec`) is that JSON already and is returned as it is."""
    if isinstance(fig, dict):
        return fig
    return json.loads(pio.to_json(fig, validate=False, remove_uids=True))


def figure_spec(data: list[dict[str, Any]], layout: dict[str, Any]) -> FigureSpec:
    """A figure as Plotly's JSON: `data` (traces, each with its "type") and `layout` (as built
    by `layout_spec`), on Plotly's "none" template as `chart_layout` sets it."""
    # Plotly's "none" template as a go.Figure serialises it (built anew: a spec may be updated).
    template = {"data": {"scatter": [{"type": "scatter"}]}}
    return {"data": data, "layout": {"template": template, **layout}}


def spec_update(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`target` updated in place as Plotly's `update_layout` would: a dict value merges into the
    dict it replaces, key by key, at any depth; any other value (lists too) replaces it."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            spec_update(target[key], value)
        else:
            target[key] = value
    return target


def layout_spec(
    *,
    title: str,
    height: int = 340,
    note: str | None = None,
    margin: dict[str, int] | None = None,
    legend: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Our look as a layout: title (escaped), white background, system font, legend below.

    `note` is a small escaped line at the top right (e.g. "Data as of ..."); `margin` and `legend`
    override parts of the defaults.
    """
    layout: dict[str, Any] = {
        "title": {"text": esc(title), "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 60, **(margin or {})},
        "height": height,
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
    return layout


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
    """Our look (`layout_spec`) applied to a go.Figure; anything else goes to Plotly's
    update_layout as given."""
    layout = layout_spec(title=title, height=height, note=note, margin=margin, legend=legend)
    fig.update_layout(template="none", **layout, **extra)
    return fig


def tidy_axes(fig: go.Figure) -> go.Figure:
    """Light grid and zero lines, and margins that grow to fit long tick labels."""
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=_ZERO_LINE, automargin=True)
    fig.update_xaxes(automargin=True)
    return fig


def tidy_axes_spec(layout: dict[str, Any]) -> dict[str, Any]:
    """`tidy_axes` for a layout built as a spec (`layout_spec`), updated in place."""
    return spec_update(
        layout,
        {
            "yaxis": {"gridcolor": GRID, "zerolinecolor": _ZERO_LINE, "automargin": True},
            "xaxis": {"automargin": True},
        },
    )
