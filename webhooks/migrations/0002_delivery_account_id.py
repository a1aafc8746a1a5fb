"""Deliveries name the member account their event concerns (account scoping of the delivery log
and of sending); existing deliveries take it from their body."""

from django.db import migrations, models


def _fill_from_payload(apps, schema_editor):
    Delivery = apps.get_model("webhooks", "WebhookDelivery")
    for delivery in Delivery.objects.exclude(event="ping").iterator(chunk_size=500):
        data = (delivery.payload or {}).get("data") or {}
        for key in ("finding", "anomaly", "budget"):
            account = (data.get(key) or {}).get("account_id") if isinstance(data, dict) else None
            if account:
                Delivery.objects.filter(pk=delivery.pk).update(account_id=str(account)[:12])
                break


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="account_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The member account the event concerns (empty for a ping): sent only "
                "while the subscription's owner sees it, listed only to people who see it.",
                max_length=12,
                verbose_name="account id",
            ),
        ),
        migrations.RunPython(_fill_from_payload, migrations.RunPython.noop),
    ]
