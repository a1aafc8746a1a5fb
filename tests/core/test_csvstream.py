"""core.csvstream: one CSV line at a time, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from core.csvstream import csv_cell, csv_lines, csv_response


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("plain = fine", "plain = fine"),
        (None, ""),
        (-1.5, "'-1.5"),
        (datetime(2024, 5, 14, 9, 12, tzinfo=UTC), "2024-05-14T09:12:00+00:00"),
    ],
)
def test_cells_are_text_and_formulas_are_inert(value, cell):
    assert csv_cell(value) == cell


def test_lines_come_one_by_one_as_rows_are_read():
    read = []

    def rows():
        for n in range(3):
            read.append(n)
            yield [n, f"row, {n}", '"quoted"\nnewline']

    lines = csv_lines(["n", "text", "other"], rows())
    header = next(lines)
    assert header == "n,text,other\r\n" and read == []
    first = next(lines)
    assert first.startswith("0,") and read == [0]
    parsed = list(csv.reader(io.StringIO(header + first + "".join(lines))))
    assert parsed[2] == ["1", "row, 1", '"quoted"\nnewline'] and len(parsed) == 4


def test_a_response_is_a_streamed_attachment():
    response = csv_response(iter(["a\r\n"]), filename="x.csv")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
