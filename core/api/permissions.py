"""Permission classes any app's API may use (no app's models involved)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request


class HasModelPermission(permissions.BasePermission):
    """Writes need the Django permission named by the view's `write_permission`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        needed: str | None = getattr(view, "write_permission", None)
        return needed is not None and needed != "" and request.user.has_perm(needed)
