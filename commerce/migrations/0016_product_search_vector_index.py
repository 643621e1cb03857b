"""The GIN index of the product search document, built concurrently; none on SQLite."""

import django.contrib.postgres.indexes
from django.db import migrations

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("commerce", "0015_product_search"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="product_search_vector", fastupdate=False
            ),
        ),
    ]
