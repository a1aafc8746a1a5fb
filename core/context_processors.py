"""Template context shared by every page: the navigation the apps registered (core.navigation)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.navigation import nav_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation entries this person may open, as (label, URL name)."""
    entries = nav_for_user(getattr(request, "user", None))
    return {"navigation": [(entry.label, entry.url_name) for entry in entries]}
