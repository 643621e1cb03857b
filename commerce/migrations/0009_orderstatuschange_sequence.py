from django.db import migrations, models


def number_existing_events(apps, schema_editor):
    OrderStatusChange = apps.get_model("commerce", "OrderStatusChange")
    changes = OrderStatusChange.objects.order_by("created_at", "id").only("pk")
    for sequence, change in enumerate(changes.iterator(), start=1):
        OrderStatusChange.objects.filter(pk=change.pk).update(sequence=sequence)


class Migration(migrations.Migration):
    dependencies = [("commerce", "0008_order_number_generated")]

    operations = [
        migrations.AddField(
            model_name="orderstatuschange",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.RunPython(number_existing_events, migrations.RunPython.noop),
    ]
