"""The resumable clients of docs/partners.md (Python `websockets`, Node `graphql-ws`),
taken from the page itself and run against a live server: each is killed, misses
five changes, is restarted with the cursor it stored, and receives exactly those
five, in order, and then live ones."""

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.principal import Principal
from commerce.event_stream import ORDER_EVENTS
from commerce.models import OrderStatus, OrderStatusChange, PaymentMethod
from commerce.orders.status import order_transition
from partners import services
from partners.models import AppScope
from tests.factories import make_product, order_place
from tests.processes import PYTHON, RunningProcess, running, running_server
from tests.system.clients.test_clients import node_modules  # noqa: F401  (the fixture installing tests/system/clients/node_modules)

CLIENTS = Path(__file__).parent
DOCS = Path(settings.BASE_DIR) / "docs" / "partners.md"
# Each order moves PENDING -> CONFIRMED -> PAID -> COMPLETED: three events.
MOVES = ("CONFIRMED", "PAID", "COMPLETED")

pytestmark = [
    pytest.mark.postgres,
    # The server process shares the test database, which SQLite cannot.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def snippet(language: str, marker: str) -> str:
    """The one code block of docs/partners.md in `language` that contains `marker`."""
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(), re.DOTALL)
    [block] = [block for block in blocks if marker in block]
    return block


@pytest.fixture
def client_command(request) -> Iterator[list[str]]:
    """The argv running the documented client of the test's language."""
    if request.param == "python":
        source, suffix, directory, argv = snippet("python", "def store_cursor"), ".py", None, [PYTHON]
    else:
        if shutil.which("node") is None:
            pytest.skip("needs Node.js")
        request.getfixturevalue("node_modules")
        # Next to tests/system/clients/node_modules, so that its imports resolve.
        source, suffix, directory, argv = snippet("js", "function storeCursor"), ".mjs", CLIENTS, ["node"]
    with tempfile.NamedTemporaryFile("w", suffix=suffix, dir=directory, delete=False) as file:
        file.write(source)
    try:
        yield [*argv, file.name]
    finally:
        os.unlink(file.name)


@pytest.fixture
def change(customer, staff) -> Callable[[], tuple[str, str]]:
    """Make the next order event (a move of the current order, or a new order's
    checkout, its PENDING step); returns what a client prints of it: the order
    number and the new status."""
    state: dict = {"order": None, "moves": 0}

    def make() -> tuple[str, str]:
        if state["order"] is None or state["moves"] == len(MOVES):
            state["order"] = order_place(customer, (make_product(), 1), method=PaymentMethod.COD)
            state["moves"] = 0
            return state["order"].number, OrderStatus.PENDING
        to = MOVES[state["moves"]]
        state["order"] = order_transition(order=state["order"], to=to, principal=Principal.for_user(staff))
        state["moves"] += 1
        return state["order"].number, to

    return make


def latest_cursor() -> str:
    return ORDER_EVENTS.cursor_encode(OrderStatusChange.objects.latest("sequence").sequence)


def received(client: RunningProcess) -> list[tuple[str, str]]:
    events = []
    for line in client.output().splitlines():
        if line.startswith("{") and '"cursor"' in line:
            event = json.loads(line)
            events.append((event["number"], event["toStatus"]))
    return events


def wait_for(condition: Callable[[], bool], client: RunningProcess, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if client.popen.poll() is not None:
            raise AssertionError(f"the client exited ({client.popen.returncode}) before {what}:\n{client.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s:\n{client.output()}")
        time.sleep(0.1)


@pytest.mark.parametrize("client_command", ["python", "node"], indirect=True)
def test_the_documented_client_resumes_after_a_kill_with_exactly_the_missed_events(client_command, change, tmp_path):
    _, token = services.app_create(principal=Principal.system(), name="Follower", scopes=[AppScope.ORDERS_READ])
    cursor_file = tmp_path / "cursor.txt"
    change()
    cursor_file.write_text(latest_cursor())  # the client handled this one last time it ran

    with running_server() as server:
        env = {
            **os.environ,
            "FMCORE_WS_URL": server.url.replace("http", "ws", 1) + "/graphql/",
            "FMCORE_APP_TOKEN": token,
            "FMCORE_CURSOR_FILE": str(cursor_file),
            "PYTHONUNBUFFERED": "1",
        }
        before = [change(), change()]
        with running(client_command, env) as client:
            wait_for(lambda: received(client) == before, client, "the two events since the stored cursor")
            stored = latest_cursor()
            wait_for(lambda: cursor_file.read_text() == stored, client, "the cursor of the last event stored")
            client.kill()  # as a crash would: no goodbye to the server

        missed = [change() for _ in range(5)]

        with running(client_command, env) as client:
            wait_for(lambda: len(received(client)) >= 5, client, "the five missed events")
            live = change()
            wait_for(lambda: len(received(client)) >= 6, client, "the live event")
            time.sleep(0.5)  # nothing more (a duplicate) comes
            assert received(client) == [*missed, live]
            wait_for(lambda: cursor_file.read_text() == latest_cursor(), client, "the live event's cursor stored")
