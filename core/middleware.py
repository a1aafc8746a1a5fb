"""Requests with a NUL character in their path, query or form are refused with 400.

No name, id or text of ours contains NUL, and PostgreSQL cannot store or compare one: a NUL that
reached a query (`/api/v1/accounts/%00/`) answered 500. Refusing it at the door answers every such
request the same clear way, whatever view it was meant for; the answer names each parameter that
held one (as every bad filter value's 400 does).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse, HttpResponseBase

__all__ = ["RejectNulMiddleware"]

MESSAGE = "The request contains a NUL character (%00), which no Watchpost value can hold."
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _bad_names(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(key.replace("\0", "") for key, value in pairs if "\0" in key + value))


def _nul_fields(request: HttpRequest) -> list[str] | None:
    """None when the request holds no NUL; else the parameters that hold one ([] for the path)."""
    if "\0" in request.path_info or "\0" in request.path:
        return []
    query = request.META.get("QUERY_STRING", "")
    if "\0" in query or "%00" in query:
        pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
        return _bad_names(pairs)
    if request.method in ("POST", "PUT", "PATCH") and request.content_type in _FORM_TYPES:
        try:
            fields = [(key, value) for key, values in request.POST.lists() for value in values]
        except Exception:  # a broken body is the view's (Django's) to answer
            return None
        names = _bad_names(fields)
        return names or None
    return None


class RejectNulMiddleware:
    """400 for a NUL anywhere in the path, the query string or a form's fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        names = _nul_fields(request)
        if names is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            body: dict[str, object] = {"detail": MESSAGE}
            body.update({name: [MESSAGE] for name in names if name and name != "detail"})
            return HttpResponse(json.dumps(body), status=400, content_type="application/json")
        text = MESSAGE + (f" Parameters: {', '.join(names)}." if names else "")
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
