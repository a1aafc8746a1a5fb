"""View mixins shared by the API's lists."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from core.api.encoder import encoder_for, plain_values
from core.keyset import keys_of


class EncodedListMixin:
    """`list()` from `values()` rows through the serializer's RowEncoder (core.api.encoder): the
    same JSON as the serializer, without building DRF fields per row. The view's serializer stays
    what the OpenAPI schema documents."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        encoder = encoder_for(self.get_serializer_class())  # type: ignore[attr-defined]
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        # The count reads this, not the rows' values() query: the joins the columns need
        # (account, vulnerability) would stay in it and slow it (a filter's own joins remain).
        self.count_queryset = queryset
        # The ordering's columns too (the cursor is made of them): an annotation such as a rank
        # can be selected only in this first values().
        keys = [key.path for key in keys_of(queryset) if key.path not in encoder.columns]
        rows = plain_values(queryset.values(*encoder.columns, *keys))
        page = self.paginate_queryset(rows)  # type: ignore[attr-defined]
        if page is None:
            return Response(encoder.encode(rows))
        return self.get_paginated_response(encoder.encode(page))  # type: ignore[attr-defined]
