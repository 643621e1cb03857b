"""The index behind "was this login revoked?", asked by every authenticated request.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on a live
table, hence a non-atomic migration); other databases build it plainly.
"""

from django.db import migrations, models

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0002_throttle_counter"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="refreshtoken",
            index=models.Index(
                condition=models.Q(revoked_at__isnull=False), fields=["family"], name="refresh_revoked_family"
            ),
        ),
    ]
