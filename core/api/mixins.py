"""View mixins shared by the API's lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.encoder import encoder_for, plain_values
from core.keyset import keys_of


class EncodedListMixin:
    """`list()` from `values()` rows through the serializer's RowEncoder (core.api.encoder): the
    same JSON as the serializer, without building DRF fields per row. The view's serializer stays
    what the OpenAPI schema documents.

    A view may define `list_rows(columns)`: (the rows' values() query, the query it counts),
    both unfiltered, the first typically built once per process (findings/: a 50-column values()
    with its SLA expression cost about a millisecond of Python a request to build). The view's
    filters then apply to both, from one validated FilterSet."""

    # The rows' JSON columns as the text PostgreSQL sent, written into the answer as it is
    # (core.api.encoder.JsonTextValuesIterable); False for a view that reads them before answering.
    json_as_text = True

    def list_rows(self, columns: Sequence[str]) -> tuple[QuerySet[Any], QuerySet[Any]] | None:
        """(rows, counted), unfiltered; None: both from get_queryset() (the default)."""
        return None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        encoder = encoder_for(self.get_serializer_class())  # type: ignore[attr-defined]
        given = self.list_rows(encoder.columns)
        if given is None:
            queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
            values = None
        else:
            values, queryset = self._filtered(*given)
        # The count reads this, not the rows' values() query: the joins the columns need
        # (account, vulnerability) would stay in it and slow it (a filter's own joins remain).
        self.count_queryset = queryset
        # The ordering's columns too (the cursor is made of them): an annotation such as a rank
        # can be selected only in this first values().
        keys = [key.path for key in keys_of(queryset) if key.path not in encoder.columns]
        if values is None:
            values = queryset.values(*encoder.columns, *keys)
        elif keys:
            values = values.values(*encoder.columns, *keys)
        rows = plain_values(values, json_as_text=self.json_as_text)
        page = self.paginate_queryset(rows)  # type: ignore[attr-defined]
        if page is None:
            return Response(encoder.encode(rows))
        return self.get_paginated_response(encoder.encode(page))  # type: ignore[attr-defined]

    def _filtered(
        self, rows: QuerySet[Any], counted: QuerySet[Any]
    ) -> tuple[QuerySet[Any], QuerySet[Any]]:
        """`rows` and `counted` through the view's filter backends, as filter_queryset would
        filter either; a FilterSet is built and validated once and filters both."""
        for backend_class in self.filter_backends:  # type: ignore[attr-defined]
            backend = backend_class()
            if not isinstance(backend, DjangoFilterBackend):
                rows = backend.filter_queryset(self.request, rows, self)  # type: ignore[attr-defined]
                counted = backend.filter_queryset(self.request, counted, self)  # type: ignore[attr-defined]
                continue
            filterset = backend.get_filterset(self.request, counted, self)  # type: ignore[attr-defined]
            if filterset is None:
                continue
            if not filterset.is_valid() and backend.raise_exception:
                raise utils.translate_validation(filterset.errors)
            counted = filterset.qs
            rows = filterset.filter_queryset(rows.all())
        return rows, counted
