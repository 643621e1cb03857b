"""The GIN index of product name trigrams (typo-tolerant search), built concurrently; none on SQLite."""

import django.contrib.postgres.indexes
from django.db import migrations

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("commerce", "0016_product_search_vector_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name"], name="product_name_trgm", opclasses=["gin_trgm_ops"], fastupdate=False
            ),
        ),
    ]
