"""Migration 0002 encrypts the plain secrets of existing webhooks, and its
reverse gives them back in plain."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("partners", "0001_initial")]
AFTER = [("partners", "0002_webhook_secret_encrypted")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _stored_secret() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM partners_webhook")
        [(stored,)] = cursor.fetchall()
    return stored


def test_existing_plain_secrets_are_encrypted_and_decrypted_back():
    _migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        app = old.get_model("partners", "App").objects.create(name="Old", token_hash="h" * 64, token_prefix="fm_app_")
        old.get_model("partners", "Webhook").objects.create(
            app=app, target_url="https://hooks.example.net/", events=["ORDER_CREATED"], secret="whsec_plain"
        )

        _migrate(AFTER)
        assert _stored_secret().startswith("gAAAA")
        after = MigrationExecutor(connection).loader.project_state(AFTER).apps
        assert after.get_model("partners", "Webhook").objects.get().secret == "whsec_plain"

        _migrate(BEFORE)
        assert _stored_secret() == "whsec_plain"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
