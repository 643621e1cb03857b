from django.db import migrations, models

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("fmcore", "0003_trusted_document"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(sent_at__isnull=False), fields=["sent_at"], name="outbox_sent"),
        ),
    ]
