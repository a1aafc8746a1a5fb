"""Opaque page tokens and page slicing with AWS's page sizes.

A token binds the offset to a fingerprint of the other request parameters: AWS requires a token
to be sent back "with the same parameters that were specified in the original call" (CloudTrail
LookupEvents docs) and answers an invalid-token error otherwise.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import AwsError

T = TypeVar("T")


def fingerprint(params: dict[str, Any], ignore: Sequence[str]) -> str:
    """Hash the request parameters that define the result set (not the token or page size)."""
    kept = {k: v for k, v in params.items() if k not in ignore}
    raw = json.dumps(kept, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_token(offset: int, print_: str) -> str:
    """Make an opaque token for `offset` into the result set identified by `print_`."""
    raw = json.dumps({"o": offset, "f": print_}).encode()
    return base64.urlsafe_b64encode(b"wp1" + raw).decode()


def decode_token(token: str, print_: str) -> int | None:
    """Return the offset in `token`, or None if it is malformed or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        if not raw.startswith(b"wp1"):
            return None
        data = json.loads(raw[3:])
        offset = data["o"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    if data.get("f") != print_ or not isinstance(offset, int) or offset < 0:
        return None
    return offset


def page(
    items: Sequence[T],
    *,
    size: int,
    token: str | None,
    print_: str,
    short: bool,
    invalid: Callable[[], AwsError],
) -> tuple[list[T], str | None]:
    """Slice one page of `items` and return it with the next token (None on the last page).

    With `short` (the world's short_pages switch) a page holds about half of what was asked,
    still followed by a token, so a caller that stops on a short page is caught.
    """
    offset = 0
    if token:
        decoded = decode_token(token, print_)
        if decoded is None or decoded > len(items):
            raise invalid()
        offset = decoded
    if short:
        size = max(1, min(size, len(items) - offset) // 2)
    chunk = list(items[offset : offset + size])
    end = offset + len(chunk)
    return chunk, (encode_token(end, print_) if end < len(items) else None)
