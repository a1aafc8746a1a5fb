"""A chart's data table (core.chart_data) is the figure the page draws, read back: the same numbers,
the same lists behind them, every label whole, nothing from AWS rendered as markup."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.template.loader import render_to_string

from core.chart_data import chart_table, same_site_path
from core.charts import esc, figure_json
from costs.charts import budget_figure, stacked_spend_figure
from findings.charts import severity_heatmap_figure, top_types_figure
from findings.inspector.charts import severity_type_figure

HOSTILE = '<img src=x onerror="alert(1)">'


def cells(table: Any) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(row.label, c.column): (c.text, c.url) for row in table.rows for c in row.cells}


def test_a_heatmap_cell_is_the_count_and_the_list_the_builder_was_given() -> None:
    long_name = "Production workloads of the payments team"
    given = [
        {"account_id": "222222222222", "name": long_name, "severity": "high", "count": 3,
         "url": "/findings/?account=222222222222&severity=high"},
        {"account_id": "333333333333", "name": "Staging", "severity": "critical", "count": 1,
         "url": "/findings/?account=333333333333&severity=critical"},
    ]  # fmt: skip
    table = chart_table(figure_json(severity_heatmap_figure(given)), row_header="Account")
    assert table is not None and table.row_header == "Account"
    assert table.columns == ["Critical", "High", "Medium", "Low", "Informational"]
    # Rows top to bottom as drawn, each label whole (the chart's tick shortens it to 30 characters).
    assert [row.label for row in table.rows] == [
        f"222222222222 {long_name}",
        "333333333333 Staging",
    ]
    got = cells(table)
    assert got[(f"222222222222 {long_name}", "High")] == ("3", given[0]["url"])
    assert got[("333333333333 Staging", "Critical")] == ("1", given[1]["url"])
    assert got[("333333333333 Staging", "Low")] == ("0", None)  # no list behind an empty cell


def test_horizontal_bars_read_top_down_with_their_whole_labels() -> None:
    rows = [
        {"type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
         "count": 9, "url": "/findings/?type=UnauthorizedAccess"},
        {"type": "Recon:EC2/PortProbeUnprotectedPort", "count": 4, "url": "/findings/?type=Recon"},
    ]  # fmt: skip
    table = chart_table(figure_json(top_types_figure(rows)))
    assert [(row.label, row.cells[0].text, row.cells[0].url) for row in table.rows] == [
        (rows[0]["type"], "9", rows[0]["url"]),
        (rows[1]["type"], "4", rows[1]["url"]),
    ]
    assert table.columns == ["Count"]


def test_stacked_bars_become_one_column_per_series() -> None:
    fig = severity_type_figure(
        {"package_vulnerability": {"critical": 2, "high": 1}, "network_reachability": {"high": 5}},
        severities=["critical", "high"],
        link=lambda kind, severity: f"/findings/?vulnerability_type={kind}&severity={severity}",
    )
    table = chart_table(figure_json(fig), row_header="Severity")
    assert table.columns == ["Package vulnerability", "Network reachability"]
    assert cells(table) == {
        ("Critical", "Package vulnerability"): (
            "2", "/findings/?vulnerability_type=package_vulnerability&severity=critical"),
        ("Critical", "Network reachability"): (
            "0", "/findings/?vulnerability_type=network_reachability&severity=critical"),
        ("High", "Package vulnerability"): (
            "1", "/findings/?vulnerability_type=package_vulnerability&severity=high"),
        ("High", "Network reachability"): (
            "5", "/findings/?vulnerability_type=network_reachability&severity=high"),
    }  # fmt: skip


def test_money_reads_as_its_axis_and_days_in_order() -> None:
    rows = [
        {"day": date(2024, 5, 2), "key": "222222222222", "amount": Decimal("1234.5")},
        {"day": date(2024, 5, 1), "key": "222222222222", "amount": Decimal("10")},
        {"day": date(2024, 5, 1), "key": "333333333333", "amount": Decimal("0.333")},
    ]
    fig = stacked_spend_figure(
        rows,
        title="Daily spend by account",
        labels={"222222222222": "222222222222 Production", "333333333333": HOSTILE},
        link=lambda key: f"/costs/?account={key}",
        as_of=datetime(2024, 5, 3, tzinfo=UTC),
    )
    table = chart_table(figure_json(fig))
    assert table.row_header == "Day"
    assert [row.label for row in table.rows] == ["2024-05-01", "2024-05-02"]
    assert table.columns == ["222222222222 Production", HOSTILE]  # the text itself, unescaped
    assert cells(table)[("2024-05-02", "222222222222 Production")] == ("$1,234.50", None)
    assert cells(table)[("2024-05-01", HOSTILE)] == ("$0.33", None)
    # Every day of a series opens the same list: linked once, from the column's header.
    assert table.headers == [
        ("222222222222 Production", "/costs/?account=222222222222"),
        (HOSTILE, "/costs/?account=333333333333"),
    ]


def test_a_list_shared_by_a_row_is_linked_from_the_row() -> None:
    budgets = [
        {"name": "prod", "account_id": "222222222222", "status": "over", "limit": Decimal(100),
         "actual": Decimal(120), "forecast": Decimal(130), "unit": "USD"},
        {"name": "lab", "account_id": "333333333333", "status": "ok", "limit": Decimal(50),
         "actual": Decimal(10), "forecast": None, "unit": "USD"},
    ]  # fmt: skip
    fig = budget_figure(budgets, link=lambda account: f"/budgets/?account={account}", as_of=None)
    table = chart_table(figure_json(fig))
    assert [(row.label, row.url) for row in table.rows] == [
        ("prod (222222222222)", "/budgets/?account=222222222222"),
        ("lab (333333333333)", "/budgets/?account=333333333333"),
    ]
    assert [c.text for c in table.rows[0].cells] == ["120.0", "130.0"]
    assert table.note == "% of the budget's limit"  # what the numbers are, from the axis title
    assert table.headers == [("Actual", None), ("Forecast", None)]
    assert all(c.url is None for row in table.rows for c in row.cells)


def test_only_a_path_of_this_site_becomes_a_link() -> None:
    hostile = ["//evil.example/x", "javascript:alert(1)", "/\\evil.example", "https://a.b/", ""]
    for value in hostile:
        assert same_site_path(value) is None, value
    assert same_site_path(["/findings/?a=1", "more"]) == "/findings/?a=1"
    fig = go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 2, 3],
                           customdata=["//evil.example/", "javascript:alert(1)", "/findings/"]))  # fmt: skip
    table = chart_table(figure_json(fig))
    assert [row.cells[0].url for row in table.rows] == [None, None, "/findings/"]


def test_aws_strings_are_text_in_the_rendered_table() -> None:
    fig = go.Figure(go.Bar(name=esc(HOSTILE), x=[esc(HOSTILE)], y=[1], customdata=["/findings/"]))
    html = render_to_string(
        "includes/_chart.html",
        {"id": "fig-x", "figure": figure_json(fig), "label": "A chart", "as_of": None},
    )
    assert "<img" not in html and "&lt;img src=x" in html
    assert 'id="fig-x-data"' in html and '<a href="/findings/">1</a>' in html
    assert "its numbers are in the data table" in html


def test_a_chart_without_points_has_no_table() -> None:
    assert chart_table(None) is None
    assert chart_table({}) is None
    assert chart_table(figure_json(go.Figure())) is None
    assert chart_table(figure_json(go.Figure(go.Bar(x=[], y=[])))) is None
    html = render_to_string(
        "includes/_chart.html",
        {"id": "fig-x", "figure": figure_json(go.Figure()), "label": "A chart", "as_of": None},
    )
    assert "<details" not in html and "data table" not in html
