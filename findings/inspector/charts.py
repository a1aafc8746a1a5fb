"""Figure builders of the Inspector report: plain rows in, a Plotly figure spec out.

As everywhere (core.charts): every string from AWS (CVE ids, resource types, reasons) is escaped with
`esc` before it reaches a figure, hover templates are our own constants, and every point carries in
`customdata` the path of the findings list it counts ("" where there is none). Each figure is
built as Plotly's JSON (core.charts.figure_spec), not as a go.Figure: validating every property
cost a third of the report page's time, and tests check that Plotly accepts these specs unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.charts import FigureSpec, esc, figure_spec, layout_spec, spec_update, tidy_axes_spec
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


def _figure(
    data: list[dict[str, Any]], *, title: str, height: int = 320, **extra: Any
) -> FigureSpec:
    """The charts' layout, a little tighter for the report's many small charts; `extra` is
    merged into it as Plotly's update_layout would."""
    layout = layout_spec(
        title=title, height=height, margin={"b": 40}, legend={"y": -0.18, "font": {"size": 11}}
    )
    spec_update(layout, extra)
    return figure_spec(data, tidy_axes_spec(layout))


def severity_type_figure(
    by_type: Mapping[str, Mapping[str, int]],
    *,
    severities: Sequence[str],
    link: Callable[[str, str], str],
) -> FigureSpec:
    """Open findings per severity, stacked by vulnerability type: by_type {type: {severity: n}}.
    `link(type, severity)` is the findings list behind a bar."""
    x = [SEVERITY_LABELS[s] for s in severities]
    data = []
    for kind, counts in by_type.items():
        label = esc(TYPE_LABELS.get(kind, kind))
        data.append(
            {
                "type": "bar",
                "name": label,
                "x": x,
                "y": [counts.get(s, 0) for s in severities],
                "customdata": [link(kind, s) for s in severities],
                "hovertemplate": f"{label}<br>%{{x}}: %{{y}} open<extra></extra>",
            }
        )
    return _figure(
        data,
        title="Open findings by severity and type",
        barmode="stack",
        colorway=["#1f5fbf", "#e8710a", "#0b8043"],
        yaxis={"title": {"text": "Open findings"}, "rangemode": "tozero"},
    )


def coverage_figure(by_resource_type: Sequence[Mapping[str, Any]]) -> FigureSpec:
    """Resources scanned and not scanned per resource type (rows {resource_type, scanned,
    not_scanned}); not clickable (coverage has no list page, the table below it is the list)."""
    labels = [esc(r["resource_type"]) for r in by_resource_type]
    data = [
        {
            "type": "bar",
            "name": name,
            "y": labels,
            "x": [r[key] for r in by_resource_type],
            "orientation": "h",
            "marker": {"color": colour},
            "customdata": ["" for _ in by_resource_type],
            "hovertemplate": f"%{{y}}<br>{name}: %{{x}}<extra></extra>",
        }
        for key, name, colour in (
            ("scanned", "Scanned", "#0b8043"),
            ("not_scanned", "Not scanned", "#d92d20"),
        )
    ]
    return _figure(
        data,
        title="Resources by type: scanned or not",
        height=max(240, 100 + 40 * len(labels)),
        barmode="stack",
        xaxis={"rangemode": "tozero"},
    )


def age_figure(
    buckets: Sequence[Mapping[str, Any]],
    *,
    severities: Sequence[str],
    link: Callable[[Mapping[str, Any], str], str],
) -> FigureSpec:
    """Open findings by age since first observed (rows {bucket, <severity>: n}), stacked by
    severity; `link(bucket, severity)` is the findings list behind a bar."""
    x = [esc(b["bucket"]) for b in buckets]
    data = [
        {
            "type": "bar",
            "name": SEVERITY_LABELS[severity],
            "x": x,
            "y": [b.get(severity, 0) for b in buckets],
            "marker": {"color": REPORT_COLOURS[severity]},
            "customdata": [link(b, severity) for b in buckets],
            "hovertemplate": f"{SEVERITY_LABELS[severity]}<br>%{{x}}: %{{y}} open<extra></extra>",
        }
        for severity in severities
    ]
    return _figure(
        data,
        title="Age of open findings (since first observed)",
        barmode="stack",
        yaxis={"title": {"text": "Open findings"}, "rangemode": "tozero"},
    )


def top_cves_figure(
    cves: Sequence[Mapping[str, Any]], *, link: Callable[[str], str], limit: int = 10
) -> FigureSpec:
    """The CVEs on the most resources (rows {cve_id, resources, findings, severity}), the most at
    the top, coloured by their worst severity."""
    rows = list(cves)[:limit][::-1]
    bars = {
        "type": "bar",
        "y": [esc(r["cve_id"]) for r in rows],
        "x": [r["resources"] for r in rows],
        "orientation": "h",
        "marker": {"color": [REPORT_COLOURS.get(r["severity"], "#98a2b3") for r in rows]},
        "customdata": [link(r["cve_id"]) for r in rows],
        "text": [f"{r['findings']} findings" for r in rows],
        "textposition": "none",
        "hovertemplate": "%{y}<br>%{x} resources, %{text}<extra></extra>",
    }
    return _figure(
        [bars],
        title="CVEs on the most resources",
        height=max(240, 90 + 32 * len(rows)),
        xaxis={"title": {"text": "Resources"}, "rangemode": "tozero", "dtick": 1},
    )
