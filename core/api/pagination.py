"""The list format of every API list: {"count", "count_exact", "next", "previous", "results"}.

`next` and `previous` are keyset cursors (core.keyset) in the list's own ordering, so a page reached
by following `next` a thousand times costs what the first page costs. `page=N` still works for the
first MAX_PAGE_DEPTH rows (an OFFSET reads and drops every row before the page); beyond, it answers
400 naming `page` and pointing at `next`. `count` is exact up to COUNT_CAP (1,000) rows; above that it is
COUNT_CAP and `count_exact` is false (counting a million rows on every page would cost more than the
page itself); a count past its time budget is PostgreSQL's estimate, capped, also not exact
(core.keyset.count_capped). A first page that holds the whole list is its own count: no count
statement is run.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.keyset import (
    COUNT_CAP,
    count_capped,
    cursor_encode,
    keys_of,
    keyset_page,
    page_count,
    with_key_columns,
)

MAX_PAGE_DEPTH = 10_000  # rows an OFFSET page may reach: page * page_size


def counted(queryset: Any, view: Any) -> Any:
    """What a list counts: the view's `count_queryset` when it has one (the list encoder's
    filtered query before its values() columns and their joins), else the page's query."""
    source = getattr(view, "count_queryset", None)
    return queryset if source is None else source


class KeysetPagination(pagination.BasePagination):
    """Pages of `page_size` items (default 50; over 500 clamped to 500, not refused), linked by
    keyset cursors; rows may be model instances or `values()` dicts."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_param = "page"
    cursor_query_param = "cursor"
    max_page_depth = MAX_PAGE_DEPTH
    count_cap = COUNT_CAP

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        try:
            size = int(raw)
        except ValueError:
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        self.request = request
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        number = request.query_params.get(self.page_query_param)
        if number and not cursor:
            rows = self._numbered(queryset, size, number)
        else:
            page = keyset_page(queryset, cursor=cursor or None, size=size)
            rows = page.rows
            self.next_link = self._cursor_link(page.next_cursor)
            self.previous_link = self._cursor_link(page.previous_cursor)
            self.count, self.count_exact = page_count(page, counted(queryset, view), self.count_cap)
            return rows
        if self.previous_link is None and self.next_link is None:  # page 1 holds every row
            self.count, self.count_exact = len(rows), True
        else:
            self.count, self.count_exact = count_capped(counted(queryset, view), self.count_cap)
        return rows

    def _numbered(self, queryset: QuerySet[Any], size: int, number: str) -> list[Any]:
        """An OFFSET page, within MAX_PAGE_DEPTH rows; its `next` is a cursor after its last row."""
        try:
            n = int(number)
        except ValueError:
            n = 0
        if n < 1:
            raise ValidationError({self.page_query_param: ["A page number is 1 or more."]})
        if n * size > self.max_page_depth:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"page reaches only the first {self.max_page_depth:,} rows; "
                        "follow the next links (cursors) to go further."
                    ]
                }
            )
        keys = keys_of(queryset)
        ordered = with_key_columns(queryset, keys).order_by(*(k.order() for k in keys))
        rows = list(ordered[(n - 1) * size : n * size + 1])
        more, rows = len(rows) > size, rows[:size]
        self.next_link = (
            self._cursor_link(cursor_encode(rows[-1], keys, direction="n")) if more else None
        )
        if n == 1:
            self.previous_link = None
        else:
            url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
            self.previous_link = replace_query_param(url, self.page_query_param, n - 1)
        return rows

    def _cursor_link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.next_link,
                "previous": self.previous_link,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_exact", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": (
                        f"How many items the filters select: exact up to {self.count_cap:,}; "
                        f"above that {self.count_cap:,}, with count_exact false. A count too "
                        "slow to make is the database's estimate (at most "
                        f"{self.count_cap:,}), with count_exact false."
                    ),
                },
                "count_exact": {
                    "type": "boolean",
                    "description": (
                        f"false when there are more than {self.count_cap:,} items, or when "
                        "count is an estimate."
                    ),
                },
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page (a cursor in this list's ordering); null at the end.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The page before this one; null on the first page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "A position given by a next or previous link (opaque).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"A page number, for the first {self.max_page_depth:,} items only "
                    "(page x page_size); follow next beyond."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items a page (default {self.page_size}, at most "
                f"{self.max_page_size}: larger values are clamped).",
                "schema": {"type": "integer"},
            },
        ]


# The name settings.REST_FRAMEWORK refers to (every list's default).
PageNumberPagination = KeysetPagination
