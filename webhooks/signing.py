"""The signature of a delivery: HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret.

Header `Watchpost-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes the digest
over the timestamp, a dot and the raw body bytes, compares in constant time, and refuses a
timestamp older than a few minutes (replays). `signature_verify` is the reference implementation
(docs/api.md, Webhooks, shows the same in a few lines).
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_HEADER", "signature_header", "signature_verify"]

SIGNATURE_HEADER = "Watchpost-Signature"
TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """The Watchpost-Signature value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), _digest(secret, timestamp, body))
