"""The core app: cross-app plumbing with a name (it imports no app of ours)."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """DRF defaults, the navigation and role-permission registries, base filters, the chart
    base and CSV streaming. Apps declare into the registries from their own ready()."""

    name = "core"
    verbose_name = "Core"
