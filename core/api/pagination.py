"""The list format of every API list: {"count", "next", "previous", "results"}."""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of `page_size` items (default 50); a page_size over 500 is clamped to 500, not refused."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
