"""Exceptions raised inside the emulator.

`AwsError` is an error AWS itself would answer (serialized on the wire in the service's protocol);
`EmulatorBug` is a mistake in the emulator or its seed data and must never be disguised as AWS.
"""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An error answered to the caller exactly as AWS would (code, message, HTTP status)."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        *,
        sender_fault: bool = True,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields = fields or {}


class EmulatorBug(AssertionError):
    """The emulator produced a response its botocore model rejects (a bug in code or seed data).

    Raised loudly instead of being answered, so a broken fixture never reaches the product.
    """
