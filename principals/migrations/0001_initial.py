"""Principals move from the findings app to this one: their tables, rows and permissions stay.

The three tables keep their names (Meta.db_table) and were created by findings' 0006_principals,
so this migration only adds the models to this app's state (findings' 0007 removes them from its
own), and relabels their content types so the permissions people hold on them carry over.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MODELS = ("principal", "principalactivity", "principalevent")


def content_types_move(apps, schema_editor, *, old="findings", new="principals"):
    """Relabel the models' content types (and so their permissions), unless the new exist."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, old="principals", new="findings")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_collection'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('findings', '0006_principals'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Principal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('identity', models.CharField(max_length=512)),
                        ('identity_type', models.CharField(choices=[('root', 'Root'), ('iam_user', 'IAM user'), ('assumed_role', 'Assumed role'), ('federated_user', 'Federated user'), ('aws_account', 'AWS account'), ('aws_service', 'AWS service')], max_length=16)),
                        ('arn', models.CharField(blank=True, default='', max_length=512)),
                        ('name', models.CharField(blank=True, default='', max_length=255)),
                        ('principal_id', models.CharField(blank=True, default='', max_length=255)),
                        ('sessions', models.JSONField(blank=True, default=list, help_text='Latest session names of an assumed role, newest first.')),
                        ('tier', models.CharField(blank=True, choices=[('platinum', 'Platinum'), ('gold', 'Gold'), ('silver', 'Silver'), ('bronze', 'Bronze')], max_length=16, null=True)),
                        ('tier_rule', models.CharField(blank=True, choices=[('root_activity', 'Root activity'), ('high_risk', 'Successful high-risk call'), ('write', 'Successful change'), ('sensitive_read', 'Successful sensitive read'), ('read_volume', 'High volume of reads'), ('other', 'No change and no sensitive read'), ('aws_service', 'AWS service: no tier')], default='', max_length=16)),
                        ('tier_since', models.DateTimeField(blank=True, help_text='When the tier last changed.', null=True)),
                        ('evidence', models.JSONField(blank=True, default=dict)),
                        ('first_seen', models.DateTimeField(blank=True, null=True)),
                        ('last_seen', models.DateTimeField(blank=True, help_text='Latest event, any outcome.', null=True)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='principals', to='accounts.awsaccount')),
                    ],
                    options={
                        'db_table': 'findings_principal',
                        'ordering': ['account__account_id', 'identity_type', 'name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PrincipalActivity',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('region', models.CharField(max_length=32)),
                        ('day', models.DateField()),
                        ('high_risk', models.PositiveIntegerField(default=0)),
                        ('write', models.PositiveIntegerField(default=0)),
                        ('sensitive_read', models.PositiveIntegerField(default=0)),
                        ('read', models.PositiveIntegerField(default=0)),
                        ('failed_high_risk', models.PositiveIntegerField(default=0)),
                        ('failed_write', models.PositiveIntegerField(default=0)),
                        ('failed_sensitive_read', models.PositiveIntegerField(default=0)),
                        ('failed_read', models.PositiveIntegerField(default=0)),
                        ('principal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity', to='principals.principal')),
                    ],
                    options={
                        'db_table': 'findings_principalactivity',
                    },
                ),
                migrations.CreateModel(
                    name='PrincipalEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_id', models.CharField(max_length=128)),
                        ('event_time', models.DateTimeField()),
                        ('event_name', models.CharField(max_length=128)),
                        ('event_source', models.CharField(max_length=128)),
                        ('region', models.CharField(max_length=32)),
                        ('event_class', models.CharField(choices=[('high_risk', 'High-risk change'), ('write', 'Change'), ('sensitive_read', 'Sensitive read'), ('read', 'Read')], max_length=16)),
                        ('failed', models.BooleanField(default=False)),
                        ('error_code', models.CharField(blank=True, default='', max_length=128)),
                        ('error_message', models.TextField(blank=True, default='')),
                        ('session_name', models.CharField(blank=True, default='', max_length=128)),
                        ('source_ip', models.CharField(blank=True, default='', max_length=255)),
                        ('user_agent', models.CharField(blank=True, default='', max_length=512)),
                        ('principal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='principals.principal')),
                    ],
                    options={
                        'db_table': 'findings_principalevent',
                        'ordering': ['-event_time', '-id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='principal',
                    index=models.Index(fields=['tier', 'identity_type'], name='principal_tier_type'),
                ),
                migrations.AddIndex(
                    model_name='principal',
                    index=models.Index(fields=['last_seen'], name='principal_last_seen'),
                ),
                migrations.AddConstraint(
                    model_name='principal',
                    constraint=models.UniqueConstraint(fields=('account', 'identity'), name='principal_unique_identity'),
                ),
                migrations.AddIndex(
                    model_name='principalactivity',
                    index=models.Index(fields=['day'], name='principal_activity_day'),
                ),
                migrations.AddConstraint(
                    model_name='principalactivity',
                    constraint=models.UniqueConstraint(fields=('principal', 'region', 'day'), name='principal_activity_unique_day'),
                ),
                migrations.AddIndex(
                    model_name='principalevent',
                    index=models.Index(fields=['principal', 'event_class', 'failed', 'event_time'], name='principal_event_class'),
                ),
                migrations.AddConstraint(
                    model_name='principalevent',
                    constraint=models.UniqueConstraint(fields=('principal', 'event_id'), name='principal_event_unique_id'),
                ),
    
            ],
        ),
        migrations.RunPython(content_types_move, content_types_back, elidable=False),
    ]
