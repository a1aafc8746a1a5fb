"""The principals app: who acts in each member account (CloudTrail), and their user tiers."""

from django.apps import AppConfig


class PrincipalsConfig(AppConfig):
    """Principals and tiers from CloudTrail; its source is declared in principals/sources/."""

    name = "principals"
    verbose_name = "Principals and user tiers"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register

        nav_register(NavEntry("Users", "principals:principal_list", order=50))
