"""API permission of tokens (in DEFAULT_PERMISSION_CLASSES): a read-only token may only read."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may only read: any write through it answers 403."""

    message = "This token is read-only; create a token with write access to change data."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.can_write
