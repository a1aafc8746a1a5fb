"""A chart's numbers and links as a table: the keyboard's and the screen reader's way to a chart.

Built from the figure the page draws (the JSON of a figure builder), never from a second query, so
the table cannot disagree with the chart. Each trace is a column, each category of the chart's
category axis a row (a heatmap: its y categories by its x categories), and each number links to the
list its point opens on click: the point's `customdata`, a same-site path, as static/js/charts.js
follows it. Figure builders escape the strings they put in a figure for Plotly's pseudo-HTML; they
are unescaped here and escaped again by the template that renders the table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["ChartTable", "TableCell", "TableRow", "chart_table", "same_site_path"]

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class TableCell:
    """One number of the chart, under its column's name, with the list it opens (or none)."""

    column: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class TableRow:
    """A category of the chart; `url` when every number of the row opens that one list."""

    label: str
    cells: list[TableCell]
    url: str | None = None


@dataclass(frozen=True)
class ChartTable:
    """A chart as a table: a header for the row labels, one column per series, the rows in the
    order a person reads the chart (top to bottom, or along the time axis)."""

    row_header: str
    columns: list[str]
    rows: list[TableRow] = field(default_factory=list)
    note: str = ""
    # Per column, the list every number of the column opens (a series linking to one list, as
    # the spend by account): linked once in the header rather than on every day.
    column_urls: list[str | None] = field(default_factory=list)

    @property
    def headers(self) -> list[tuple[str, str | None]]:
        """(column name, the list it links to or None), for the template."""
        urls = self.column_urls or [None] * len(self.columns)
        return list(zip(self.columns, urls, strict=True))


def same_site_path(value: Any) -> str | None:
    """The path a point opens: a string starting with one "/" (never "//host", a scheme or a
    backslash), or the first item of a list holding one; None otherwise. charts.js checks the same."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    return value


def _text(value: Any) -> str:
    return html.unescape(str(value)) if value is not None else ""


def _axis(layout: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    axis = layout.get(name)
    return axis if isinstance(axis, Mapping) else {}


def _axis_title(axis: Mapping[str, Any]) -> str:
    title = axis.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    return _text(title) if title else ""


def _number(value: Any, axis: Mapping[str, Any]) -> str:
    """A value as the axis labels it: its tick prefix (a currency) and suffix around the number."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    prefix, suffix = _text(axis.get("tickprefix", "")), _text(axis.get("ticksuffix", ""))
    if prefix in ("$", "€", "£"):
        number = f"{value:,.2f}"
    elif isinstance(value, int):  # counts
        number = f"{value:,}"
    else:  # measures (a percentage of a limit): one decimal, alike down the column
        number = f"{value:,.1f}"
    return f"{prefix}{number}{suffix}"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _series_table(figure: Mapping[str, Any]) -> ChartTable | None:
    """Bars and lines: one column per trace, one row per category of the category axis."""
    layout = figure.get("layout") or {}
    traces = [t for t in figure.get("data") or [] if t.get("type", "scatter") in ("bar", "scatter")]
    if not traces:
        return None
    horizontal = traces[0].get("orientation") == "h"
    category_axis = _axis(layout, "yaxis" if horizontal else "xaxis")
    value_axis = _axis(layout, "xaxis" if horizontal else "yaxis")
    columns: list[str] = []
    values: dict[str, dict[str, TableCell]] = {}
    order: list[Any] = []
    for index, trace in enumerate(traces):
        name = _text(trace.get("name"))
        if not name:
            name = _unnamed(trace, value_axis) if len(traces) == 1 else f"Series {index + 1}"
        columns.append(name)
        categories = _list(trace.get("y" if horizontal else "x"))
        numbers = _list(trace.get("x" if horizontal else "y"))
        links = _list(trace.get("customdata"))
        for point, category in enumerate(categories):
            key = _text(category)
            if key not in values:
                values[key] = {}
                order.append(category)
            number = numbers[point] if point < len(numbers) else None
            url = same_site_path(links[point]) if point < len(links) else None
            values[key][name] = TableCell(name, _number(number, value_axis), url)
    order = _reading_order(order, category_axis, horizontal=horizontal)
    rows = [
        TableRow(
            _text(category),
            [values[_text(category)].get(c, TableCell(c, "")) for c in columns],
        )
        for category in order
    ]
    return ChartTable(
        row_header=_axis_title(category_axis) or ("Day" if _is_time(order) else "Category"),
        columns=columns,
        rows=rows,
        note=_axis_title(value_axis) if len(traces) > 1 or traces[0].get("name") else "",
    )


def _unnamed(trace: Mapping[str, Any], value_axis: Mapping[str, Any]) -> str:
    """The column of a chart's only, unnamed series: its axis title, else what its numbers are."""
    if title := _axis_title(value_axis):
        return title
    numbers = _list(trace.get("x" if trace.get("orientation") == "h" else "y"))
    counts = all(isinstance(n, int) or (isinstance(n, float) and n.is_integer()) for n in numbers)
    return "Count" if counts and not value_axis.get("tickprefix") else "Value"


def _is_time(categories: Sequence[Any]) -> bool:
    return bool(categories) and all(isinstance(c, str) and _ISO_DAY.match(c) for c in categories)


def _reading_order(
    categories: list[Any], axis: Mapping[str, Any], *, horizontal: bool
) -> list[Any]:
    """Days and numbers in ascending order; horizontal bars top to bottom as drawn (Plotly draws
    the first category at the bottom unless the axis is reversed)."""
    if _is_time(categories) or all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in categories
    ):
        return sorted(categories)
    if horizontal and axis.get("autorange") != "reversed":
        return categories[::-1]
    return categories


def _heatmap_table(trace: Mapping[str, Any], layout: Mapping[str, Any]) -> ChartTable:
    """A heatmap: its rows (y) by its columns (x), each cell linking to its list."""
    columns = [_text(x) for x in _list(trace.get("x"))]
    links = _list(trace.get("customdata"))
    value_axis: Mapping[str, Any] = {}
    rows = []
    ys = _list(trace.get("y"))
    if _axis(layout, "yaxis").get("autorange") != "reversed":
        order = list(range(len(ys)))[::-1]
    else:
        order = list(range(len(ys)))
    z = _list(trace.get("z"))
    for r in order:
        numbers = _list(z[r]) if r < len(z) else []
        row_links = _list(links[r]) if r < len(links) else []
        rows.append(
            TableRow(
                _text(ys[r]),
                [
                    TableCell(
                        column,
                        _number(numbers[c] if c < len(numbers) else None, value_axis),
                        same_site_path(row_links[c]) if c < len(row_links) else None,
                    )
                    for c, column in enumerate(columns)
                ],
            )
        )
    return ChartTable(
        row_header=_axis_title(_axis(layout, "yaxis")) or "Category", columns=columns, rows=rows
    )


def chart_table(
    figure: Mapping[str, Any] | None, *, row_header: str | None = None
) -> ChartTable | None:
    """The figure's data as a table, or None when it has no point to show; `row_header` names
    the rows where the category axis has no title to name them."""
    if not figure:
        return None
    data = figure.get("data") or []
    heatmaps = [t for t in data if t.get("type") == "heatmap"]
    table: ChartTable | None
    if heatmaps:
        table = _heatmap_table(heatmaps[0], figure.get("layout") or {})
    else:
        table = _series_table(figure)
    if not table or not table.rows or not table.columns:
        return None
    if row_header:
        table = replace(table, row_header=row_header)
    return _links_once(table)


def _shared(cells: list[TableCell]) -> str | None:
    """The one list that every number among `cells` opens, if there are several and they agree."""
    urls = {cell.url for cell in cells if cell.text}
    return urls.pop() if len(cells) > 1 and len(urls) == 1 and None not in urls else None


def _links_once(table: ChartTable) -> ChartTable:
    """A link shared by a whole column (or else by a whole row) moves to its header: one Tab stop
    instead of one per day, and a page a tenth the size for a 90-day chart."""
    column_urls = [
        _shared([row.cells[index] for row in table.rows]) if len(table.rows) > 1 else None
        for index in range(len(table.columns))
    ]
    rows = []
    for row in table.rows:
        cells = [
            replace(cell, url=None) if column_urls[index] else cell
            for index, cell in enumerate(row.cells)
        ]
        url = _shared(cells)
        rows.append(
            TableRow(row.label, [replace(c, url=None) for c in cells] if url else cells, url)
        )
    return replace(table, rows=rows, column_urls=column_urls)
