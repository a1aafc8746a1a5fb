"""The change clock's one row (findings.services.clock creates it too if it is ever missing)."""

from django.db import migrations
from django.utils import timezone


def create_clock(apps, schema_editor):
    clock = apps.get_model("findings", "FindingChangeClock")
    clock.objects.get_or_create(pk=1, defaults={"last": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_initial")]

    operations = [migrations.RunPython(create_clock, migrations.RunPython.noop)]
