"""The costs app."""

from django.apps import AppConfig


class CostsConfig(AppConfig):
    """Costs of the member accounts."""

    name = "costs"
