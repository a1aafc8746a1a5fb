"""The navigation registry: each app declares its own entries of the site's sidebar.

An app calls `nav_register(...)` from its AppConfig.ready(); core's context processor
(core.context_processors.navigation) shows a person the entries they may open, by `order`.
No app lists another app's pages, and this module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["NavEntry", "nav_entries", "nav_for_user", "nav_register"]


@dataclass(frozen=True)
class NavEntry:
    """One sidebar link: its label, URL name, place (lower first) and the permission it needs."""

    label: str
    url_name: str
    order: int
    permission: str | None = None


_ENTRIES: dict[str, NavEntry] = {}


def nav_register(*entries: NavEntry) -> None:
    """Add (or replace, by URL name) entries of the sidebar; called from an app's ready()."""
    for entry in entries:
        _ENTRIES[entry.url_name] = entry


def nav_entries() -> list[NavEntry]:
    """Every registered entry, in sidebar order."""
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.label))


def nav_for_user(user: Any) -> list[NavEntry]:
    """The entries `user` may open: none when signed out."""
    if user is None or not user.is_authenticated:
        return []
    return [e for e in nav_entries() if e.permission is None or user.has_perm(e.permission)]
