"""Requests with a NUL character in their path, query, form or JSON body are refused with 400.

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
    if request.method in ("POST", "PUT", "PATCH") and _is_json(request.content_type):
        return _json_nul_fields(request)
    return None


def _is_json(content_type: str | None) -> bool:
    kind = (content_type or "").lower()
    return kind == "application/json" or kind.endswith("+json")


def _json_nul_fields(request: HttpRequest) -> list[str] | None:
    """The top-level fields of a JSON body holding a NUL (escaped \\u0000) in any string or key
    at any depth; None when there is none or the body is not JSON (the view answers that)."""
    try:
        body = request.body
    except Exception:  # too large, or unreadable: the view's (Django's) to answer
        return None
    if b"\\u0000" not in body and b"\0" not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        names = [
            str(key).replace("\0", "")
            for key, value in data.items()
            if "\0" in str(key) or _holds_nul(value)
        ]
        return names or None
    return [] if _holds_nul(data) else None


def _holds_nul(value: object) -> bool:
    """Whether a parsed JSON value holds a NUL in a string or key, at any depth (iteratively:
    a deeply nested hostile body must not exhaust the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\0" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class RejectNulMiddleware:
    """400 for a NUL anywhere in the path, the query string, a form's fields or a JSON body."""

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
