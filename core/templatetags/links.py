"""`{{ value|safe_url }}`: the value when it is an http(s) URL, else "" (core.links)."""

from __future__ import annotations

from typing import Any

from django import template

from core.links import safe_http_url

register = template.Library()


@register.filter
def safe_url(value: Any) -> str:
    return safe_http_url(value)
