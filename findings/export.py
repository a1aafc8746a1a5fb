"""CSV export of a findings list: exactly the filtered set, streamed, formulas made inert.

Its columns are the API list's fields (findings.api.serializers.FindingSerializer's Meta.fields),
in the same order, less the nested objects a cell cannot hold: a field added to the API is in the
CSV too (tests/findings/test_export_columns.py fails if they drift apart). Streaming and formula
neutralisation are core.csvstream's, shared by every CSV download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from core.csvstream import csv_lines
from findings.api.serializers import FindingSerializer
from findings.models import Finding

__all__ = ["CSV_COLUMNS", "finding_csv_lines"]

# Fields of the API's rows that are objects, not values: Inspector's vulnerability (its own
# report's CSV has those columns, findings.inspector.views).
NESTED_FIELDS = frozenset({"vulnerability"})
CSV_COLUMNS: tuple[str, ...] = tuple(
    name for name in FindingSerializer.Meta.fields if name not in NESTED_FIELDS
)
_CHUNK = 2000  # rows fetched per round trip while streaming

# Where a column's value is not the model's attribute of that name (the serializer's `source`).
_VALUES: dict[str, Callable[[Finding], Any]] = {
    "account_id": lambda f: f.account.account_id,
    "assignee": lambda f: f.assignee.get_username() if f.assignee else "",
}


def _row(finding: Finding) -> list[Any]:
    return [
        _VALUES[name](finding) if name in _VALUES else getattr(finding, name)
        for name in CSV_COLUMNS
    ]


def finding_csv_lines(findings: QuerySet[Finding] | Iterable[Finding]) -> Iterator[str]:
    """The header, then one CSV line per finding, read in chunks (for StreamingHttpResponse).

    `findings` is already scoped to the person and filtered; its ordering is kept.
    """
    rows = (
        findings.defer("raw").iterator(chunk_size=_CHUNK)
        if isinstance(findings, QuerySet)
        else findings
    )
    return csv_lines(CSV_COLUMNS, (_row(finding) for finding in rows))
