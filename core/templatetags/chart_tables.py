"""`{% chart_table figure row_header as table %}`: a chart's data table, built by core.chart_data from the
very figure the page draws (templates/includes/_chart.html puts one under every chart); `row_header`
names what the rows are ("Account") where the figure's axis has no title."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from core.chart_data import ChartTable
from core.chart_data import chart_table as build_chart_table

register = template.Library()


@register.simple_tag
def chart_table(figure: Mapping[str, Any] | None, row_header: str = "") -> ChartTable | None:
    return build_chart_table(figure, row_header=row_header or None)
