"""The principals app: who acts in each member account (CloudTrail), and their user tiers."""

from django.apps import AppConfig


class PrincipalsConfig(AppConfig):
    """Principals and tiers from CloudTrail; registers the cloudtrail syncer with the spine."""

    name = "principals"
    verbose_name = "Principals and user tiers"

    def ready(self) -> None:
        from accounts.collection import SourceSpec, source_register
        from core.navigation import NavEntry, nav_register
        from principals.services import cloudtrail_sync

        nav_register(NavEntry("Users", "principals:principal_list", order=50))

        source_register(SourceSpec(source="cloudtrail", sync=cloudtrail_sync))
