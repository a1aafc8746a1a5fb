"""The core app: plumbing shared by every app (no models)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        connection_created.connect(_on_connection, dispatch_uid="core.compiled_time_loader")


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    from core.db import use_compiled_time_loader

    use_compiled_time_loader(connection)
