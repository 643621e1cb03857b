"""How fm-core uses PostgreSQL: PgBouncer mode turns server-side cursors off, and index
migrations build their indexes concurrently."""

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from tests.processes import PYTHON, ROOT, process_env

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

ITERATOR_CURSOR = """
from django.db import connection
from infra.models import OutboxMessage
cursors = []
def record(execute, sql, params, many, context):
    cursors.append(type(context["cursor"].cursor).__name__)
    return execute(sql, params, many, context)
with connection.execute_wrapper(record):
    list(OutboxMessage.objects.iterator())
print(cursors[-1])
"""


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize(("flag", "server_side"), [("1", False), ("0", True)])
@pytest.mark.django_db(transaction=True)
def test_pgbouncer_mode_turns_server_side_cursors_off(flag, server_side):
    """`.iterator()` (clean-up, reconciliation) uses a server-side cursor unless
    DISABLE_SERVER_SIDE_CURSORS, which PgBouncer's transaction pooling needs."""
    env = process_env(DISABLE_SERVER_SIDE_CURSORS=flag, DB_POOL="0")

    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", ITERATOR_CURSOR],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    cursor_class = result.stdout.strip().splitlines()[-1]
    assert (cursor_class == "ServerSideCursor") is server_side, cursor_class


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize(("app", "migration"), [("fmcore", "0004"), ("commerce", "0006")])
@pytest.mark.django_db(transaction=True)
def test_index_migrations_build_concurrently_on_postgresql(app, migration):
    out = StringIO()

    call_command("sqlmigrate", app, migration, stdout=out)

    assert "CREATE INDEX CONCURRENTLY" in out.getvalue()
