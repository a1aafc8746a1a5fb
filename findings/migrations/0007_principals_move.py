"""Principals move to the principals app: removed from this app's state only.

Their tables, rows and indexes stay where findings' 0006 made them; principals' 0001_initial takes
the models into its state with the same tables (Meta.db_table).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('findings', '0006_principals'),
        ('principals', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='PrincipalEvent'),
                migrations.DeleteModel(name='PrincipalActivity'),
                migrations.DeleteModel(name='Principal'),
            ],
        ),
    ]
