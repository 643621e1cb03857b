"""Indexes matching each list ordering, so a page of 20 reads 20 index entries.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on a live
table, hence a non-atomic migration); other databases build them plainly.
"""

from django.db import migrations, models

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("commerce", "0006_sent_email_sent_at_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=models.Index(fields=["-created_at", "-id"], name="product_newest"),
        ),
        AddIndexConcurrently(
            model_name="category",
            index=models.Index(fields=["created_at"], name="category_created"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["-created_at", "-id"], name="order_newest"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["total"], name="order_total"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["status"], name="order_status"),
        ),
    ]
