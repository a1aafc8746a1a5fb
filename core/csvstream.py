"""Every CSV download: streamed line by line as rows are read, spreadsheet formulas made inert.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading a formula) is run as a formula by Excel, LibreOffice and Google Sheets: OWASP's advice
(https://owasp.org/www-community/attacks/CSV_Injection) is to prefix such a cell with a single
quote, which `csv_cell` does to every cell, whatever its column. Text is otherwise kept as given.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse

__all__ = ["csv_cell", "csv_lines", "csv_response"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One cell as text: times in ISO 8601, None empty, a formula-looking start neutralised."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Line:
    """A file-like target for csv.writer that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then one CSV line per row (each cell through csv_cell), as rows come."""
    writer = csv.writer(_Line())
    yield writer.writerow([csv_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(lines: Iterable[str], *, filename: str) -> StreamingHttpResponse:
    """A download of `lines` (from csv_lines), sent as they are produced."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
