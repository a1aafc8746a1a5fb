"""CSV export of a findings list: exactly the filtered set, streamed, spreadsheet formulas made inert.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading a formula) is run as a formula by Excel, LibreOffice and Google Sheets: OWASP's advice
(https://owasp.org/www-community/attacks/CSV_Injection) is to prefix such a cell with a single
quote, which we do to every cell, whatever its column. AWS's strings are otherwise kept as given.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from findings.models import Finding

__all__ = ["CSV_COLUMNS", "csv_cell", "finding_csv_lines"]

# The API's list fields (CONTRACT.md), in its order, then where the activity came from.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "source",
    "source_id",
    "account_id",
    "region",
    "type",
    "title",
    "description",
    "severity",
    "severity_score",
    "native_severity",
    "category",
    "status",
    "aws_state",
    "assignee",
    "ticket_ref",
    "first_seen",
    "last_seen",
    "updated_at",
    "resource_type",
    "resource_id",
    "console_url",
    "service_count",
    "remote_ip",
    "port",
    "domain",
    "country",
    "asn",
    "threat_list_name",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 2000  # rows fetched per round trip while streaming


def csv_cell(value: Any) -> str:
    """One cell as text: times in ISO 8601, None empty, a formula-looking start neutralised."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(finding: Finding) -> list[str]:
    values: dict[str, Any] = {
        "account_id": finding.account.account_id,
        "assignee": finding.assignee.get_username() if finding.assignee else "",
        "console_url": finding.console_url,
    }
    return [
        csv_cell(values[name] if name in values else getattr(finding, name)) for name in CSV_COLUMNS
    ]


class _Line:
    """A file-like target for csv.writer that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


def finding_csv_lines(findings: QuerySet[Finding] | Iterable[Finding]) -> Iterator[str]:
    """The header, then one CSV line per finding, read in chunks (for StreamingHttpResponse).

    `findings` is already scoped to the person and filtered; its ordering is kept.
    """
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    rows = (
        findings.defer("raw").iterator(chunk_size=_CHUNK)
        if isinstance(findings, QuerySet)
        else findings
    )
    for finding in rows:
        yield writer.writerow(_row(finding))
