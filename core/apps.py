"""The core app: cross-app plumbing with a name (it imports no app of ours)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    """DRF defaults, the navigation and role-permission registries, base filters, the chart
    base and CSV streaming, keyset pages and the list encoder. Apps declare into the registries
    from their own ready(). Every new database connection reads times with psycopg's compiled
    loader (core.db.use_compiled_time_loader)."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        connection_created.connect(_on_connection, dispatch_uid="core.compiled_time_loader")


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    from core.db import use_compiled_time_loader

    use_compiled_time_loader(connection)
