"""Links made from values we did not write (AWS's data): only http(s) URLs become an href.

Inspector's `sourceUrl`, a vendor advisory, is whatever the finding says: `javascript:...` or
`data:...` in an href runs in our origin when clicked. `safe_http_url` answers the URL when its
scheme is http or https (browsers ignore surrounding blanks and control characters, so they are
stripped before judging), else "" (the template then shows no link). Every template that turns an
AWS value into a link goes through the `safe_url` filter (core.templatetags.links).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["safe_http_url"]

# What browsers strip or ignore in a URL before reading its scheme (WHATWG URL: C0 controls and
# space at either end, tab and newlines anywhere).
_IGNORED = "".join(chr(c) for c in range(0x21))


def safe_http_url(value: Any) -> str:
    """`value` if it is an absolute http(s) URL with a host, else ""."""
    if not isinstance(value, str) or not value:
        return ""
    text = value.strip(_IGNORED)
    if any(c in text for c in "\t\n\r") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return text
