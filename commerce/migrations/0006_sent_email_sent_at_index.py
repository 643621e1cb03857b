from django.db import migrations, models

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("commerce", "0005_stock_movement_actor_app"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="sentemail",
            index=models.Index(fields=["sent_at"], name="sent_email_sent_at"),
        ),
    ]
