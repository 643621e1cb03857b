"""The split of fmcore into the composition root and `infra` changed no table and no migration
record: a database migrated before it needs nothing (docs/ARCHITECTURE.md, "Layout")."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from infra.models import OutboxMessage, TrustedDocument

pytestmark = pytest.mark.django_db

# What a database migrated before the split recorded for the infrastructure's models.
PRE_SPLIT_MIGRATIONS = {"0001_initial", "0002_outbox_options", "0003_trusted_document", "0004_outbox_sent_index"}


def test_the_infrastructure_models_keep_their_tables_and_migration_records():
    recorded = set(MigrationRecorder(connection).migration_qs.filter(app="fmcore").values_list("name", flat=True))

    assert recorded >= PRE_SPLIT_MIGRATIONS
    assert not MigrationRecorder(connection).migration_qs.filter(app="fmcore_root").exists()
    assert {OutboxMessage._meta.db_table, TrustedDocument._meta.db_table} == {
        "fmcore_outboxmessage",
        "fmcore_trusteddocument",
    }
    assert {"fmcore_outboxmessage", "fmcore_trusteddocument"} <= set(connection.introspection.table_names())


def test_a_migrated_database_needs_no_migration_and_the_models_no_new_one():
    executor = MigrationExecutor(connection)

    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 on a model change
