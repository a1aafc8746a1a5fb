"""Pages of findings: keyset pages in any ordering (core.api.pagination), or, with
`updated_since`, the change feed keyed on (updated_at, id) with its own cursor (kept as it was, so
`resume` links stored by ticketing tools stay valid)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.query import ValuesIterable
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api.pagination import KeysetPagination, counted
from core.keyset import count_capped, keys_of, row_bound, with_key_columns
from findings.models import Finding

Position = tuple[datetime, int]


def _position(row: Any) -> Position:
    if isinstance(row, Finding):
        return (row.updated_at, row.pk)
    return (row["updated_at"], row["id"])  # a values() row (a dict, or a ValuesRow)


def cursor_encode(position: Position) -> str:
    """An opaque token for the position after (updated_at, id)."""
    text = f"{position[0].isoformat()}|{position[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(token: str) -> Position:
    """The position of a token; raises ValidationError naming `cursor` for anything else."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        moment, pk = text.split("|")
        position = (datetime.fromisoformat(moment), int(pk))
        if position[0].tzinfo is not None:
            # In UTC: PostgreSQL refuses offsets beyond 15:59 ("-23:59" answered 500), and a time
            # that would overflow raises OverflowError here.
            position = (position[0].astimezone(UTC), position[1])
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError(
            {"cursor": ["Not a cursor of ours: use the next or resume link as given."]}
        ) from exc
    if position[0].tzinfo is None or not 0 <= position[1] < 2**63:
        raise ValidationError({"cursor": ["Not a cursor of ours: use the next or resume link."]})
    return position


class FindingPagination(KeysetPagination):
    """Keyset pages; with `updated_since`, the change feed ordered by (updated_at, id).

    The feed's pages carry `next` (null on the last page) and `resume`: the changes after the page's
    last item, to poll later. `updated_at` follows commit order (findings.services.clock), so a
    row committed late can never hide behind a position a poller has passed.
    """

    feed_param = "updated_since"

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self.feed = self.feed_param in request.query_params
        if not self.feed:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request) or self.page_size
        token = request.query_params.get(self.cursor_query_param)
        position = cursor_decode(token) if token else None
        ordered = queryset.order_by("updated_at", "id")
        if issubclass(
            ordered._iterable_class, ValuesIterable
        ):  # the list encoder's rows: add the keys
            ordered = with_key_columns(ordered, keys_of(ordered))
        if position is not None:
            moment, pk = position
            # `(updated_at, id) > (moment, pk)`, which PostgreSQL reads from the (updated_at, id)
            # index starting at the position; the OR (where the row comparison is not valid)
            # selects the same rows, but starts the index at `updated_at >= updated_since`.
            bound = row_bound(ordered, keys_of(ordered), [moment, pk], reverse=False)
            ordered = ordered.filter(
                bound
                if bound is not None
                else Q(updated_at__gt=moment) | Q(updated_at=moment, id__gt=pk)
            )
        rows = list(ordered[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        if position is None and not more:  # every change is on this page: no count to make
            self.count, self.count_exact = len(rows), True
        else:
            self.count, self.count_exact = count_capped(counted(queryset, view), self.count_cap)
        last = _position(rows[-1]) if rows else position
        self.resume_link = self._link(last)
        self.next_link = self._link(last) if more else None
        return rows

    def _link(self, position: Position | None) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        if position is None:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor_encode(position))

    def get_paginated_response(self, data: Any) -> Response:
        if not self.feed:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.next_link,
                "previous": None,
                "resume": self.resume_link,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["resume"] = {
            "type": "string",
            "format": "uri",
            "nullable": True,
            "description": "With updated_since only: the changes after this page's last item.",
        }
        return response

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "A position given by a next, previous or (with updated_since) resume link."
                )
        return parameters
