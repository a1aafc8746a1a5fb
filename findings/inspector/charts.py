"""Figure builders of the Inspector report: plain rows in, a Plotly figure out.

As everywhere (core.charts): every string from AWS (CVE ids, resource types, reasons) is escaped with
`esc` before it reaches a figure, hover templates are our own constants, and every point carries in
`customdata` the path of the findings list it counts ("" where there is none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from core.charts import chart_layout, esc, tidy_axes
from findings.charts import SEVERITY_COLOURS

__all__ = [
    "REPORT_COLOURS",
    "age_figure",
    "coverage_figure",
    "severity_type_figure",
    "top_cves_figure",
]

REPORT_COLOURS: dict[str, str] = {**SEVERITY_COLOURS, "untriaged": "#d0d5dd"}
SEVERITY_LABELS = {
    "critical": "Critical",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "informational": "Informational",
    "untriaged": "Untriaged",
}
TYPE_LABELS = {
    "package_vulnerability": "Package vulnerability",
    "network_reachability": "Network reachability",
    "code_vulnerability": "Code vulnerability",
}


def _layout(fig: go.Figure, *, title: str, height: int = 320, **extra: Any) -> go.Figure:
    """The charts' layout, a little tighter for the report's many small charts."""
    chart_layout(
        fig,
        title=title,
        height=height,
        margin={"b": 40},
        legend={"y": -0.18, "font": {"size": 11}},
        **extra,
    )
    return tidy_axes(fig)


def severity_type_figure(
    by_type: Mapping[str, Mapping[str, int]],
    *,
    severities: Sequence[str],
    link: Callable[[str, str], str],
) -> go.Figure:
    """Open findings per severity, stacked by vulnerability type: by_type {type: {severity: n}}.
    `link(type, severity)` is the findings list behind a bar."""
    fig = go.Figure()
    x = [SEVERITY_LABELS[s] for s in severities]
    for kind, counts in by_type.items():
        label = esc(TYPE_LABELS.get(kind, kind))
        fig.add_bar(
            name=label,
            x=x,
            y=[counts.get(s, 0) for s in severities],
            customdata=[link(kind, s) for s in severities],
            hovertemplate=f"{label}<br>%{{x}}: %{{y}} open<extra></extra>",
        )
    fig.update_layout(barmode="stack", colorway=["#1f5fbf", "#e8710a", "#0b8043"])
    fig.update_yaxes(title_text="Open findings", rangemode="tozero")
    return _layout(fig, title="Open findings by severity and type")


def coverage_figure(by_resource_type: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Resources scanned and not scanned per resource type (rows {resource_type, scanned,
    not_scanned}); not clickable (coverage has no list page, the table below it is the list)."""
    labels = [esc(r["resource_type"]) for r in by_resource_type]
    fig = go.Figure()
    for key, name, colour in (
        ("scanned", "Scanned", "#0b8043"),
        ("not_scanned", "Not scanned", "#d92d20"),
    ):
        fig.add_bar(
            name=name,
            y=labels,
            x=[r[key] for r in by_resource_type],
            orientation="h",
            marker_color=colour,
            customdata=["" for _ in by_resource_type],
            hovertemplate=f"%{{y}}<br>{name}: %{{x}}<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(rangemode="tozero")
    return _layout(
        fig, title="Resources by type: scanned or not", height=max(240, 100 + 40 * len(labels))
    )


def age_figure(
    buckets: Sequence[Mapping[str, Any]],
    *,
    severities: Sequence[str],
    link: Callable[[Mapping[str, Any], str], str],
) -> go.Figure:
    """Open findings by age since first observed (rows {bucket, <severity>: n}), stacked by
    severity; `link(bucket, severity)` is the findings list behind a bar."""
    fig = go.Figure()
    x = [esc(b["bucket"]) for b in buckets]
    for severity in severities:
        label = SEVERITY_LABELS[severity]
        fig.add_bar(
            name=label,
            x=x,
            y=[b.get(severity, 0) for b in buckets],
            marker_color=REPORT_COLOURS[severity],
            customdata=[link(b, severity) for b in buckets],
            hovertemplate=f"{label}<br>%{{x}}: %{{y}} open<extra></extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="Open findings", rangemode="tozero")
    return _layout(fig, title="Age of open findings (since first observed)")


def top_cves_figure(
    cves: Sequence[Mapping[str, Any]], *, link: Callable[[str], str], limit: int = 10
) -> go.Figure:
    """The CVEs on the most resources (rows {cve_id, resources, findings, severity}), the most at
    the top, coloured by their worst severity."""
    rows = list(cves)[:limit][::-1]
    fig = go.Figure()
    fig.add_bar(
        y=[esc(r["cve_id"]) for r in rows],
        x=[r["resources"] for r in rows],
        orientation="h",
        marker_color=[REPORT_COLOURS.get(r["severity"], "#98a2b3") for r in rows],
        customdata=[link(r["cve_id"]) for r in rows],
        text=[f"{r['findings']} findings" for r in rows],
        textposition="none",
        hovertemplate="%{y}<br>%{x} resources, %{text}<extra></extra>",
    )
    fig.update_xaxes(title_text="Resources", rangemode="tozero", dtick=1)
    return _layout(fig, title="CVEs on the most resources", height=max(240, 90 + 32 * len(rows)))
