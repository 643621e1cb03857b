"""Indexes matching each list ordering, so a page of 20 reads 20 index entries.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on a live
table, hence a non-atomic migration); other databases build them plainly.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("commerce", "0005_stock_movement_actor_app"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="product",
            index=models.Index(fields=["-created_at", "-id"], name="product_newest"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="category",
            index=models.Index(fields=["created_at"], name="category_created"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="order",
            index=models.Index(fields=["-created_at", "-id"], name="order_newest"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="order",
            index=models.Index(fields=["total"], name="order_total"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="order",
            index=models.Index(fields=["status"], name="order_status"),
        ),
    ]
