"""The config package as an app: it registers Watchpost's own system checks."""

from django.apps import AppConfig


class WatchpostConfig(AppConfig):
    """Project-wide start-up checks (config.checks)."""

    name = "config"
    label = "watchpost"
    verbose_name = "Watchpost"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the checks)
