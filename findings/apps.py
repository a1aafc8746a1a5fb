"""The findings app."""

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    """Findings of the member accounts."""

    name = "findings"
