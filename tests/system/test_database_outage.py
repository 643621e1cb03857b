"""The database goes away under a real server: every way of authenticating
answers a coded, masked error (never Django's HTML 500), and a restart of the
database costs the pooled server no failed request."""

import json
import threading
import time
from dataclasses import dataclass

import psycopg
import pytest
import requests
from django.db import connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from partners.tokens import APP_TOKEN_PREFIX
from tests.processes import free_port, running_server
from tests.system.test_observability import assert_service_unavailable, process_token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 30
ME = "query Me { me { email } }"


def test_every_auth_path_answers_service_unavailable_when_the_database_is_unreachable(customer):
    token = process_token(customer)
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere", "DB_POOL_TIMEOUT": "1"}
    with running_server("--ws", "websockets", **env) as server:
        graphql = f"{server.url}/graphql/"
        header = requests.post(
            graphql, json={"query": ME}, headers={"Authorization": f"JWT {token}", "X-Request-ID": "auth-1"}, timeout=30
        )
        assert_service_unavailable(header, "auth-1")
        # Cookie mode over GET (a POST would stop at the CSRF check first).
        cookie = requests.get(
            graphql, params={"query": ME}, cookies={"JWT": token}, headers={"X-Request-ID": "auth-2"}, timeout=30
        )
        assert_service_unavailable(cookie, "auth-2")
        app = requests.post(
            graphql,
            json={"query": ME},
            headers={"Authorization": f"App {APP_TOKEN_PREFIX}not-checked-yet", "X-Request-ID": "auth-3"},
            timeout=30,
        )
        assert_service_unavailable(app, "auth-3")

        url = server.url.replace("http://", "ws://") + "/graphql/"
        for n, authorization in enumerate([f"JWT {token}", f"App {APP_TOKEN_PREFIX}not-checked-yet"], start=4):
            headers = {"X-Request-ID": f"auth-{n}"}
            with connect(url, subprotocols=["graphql-transport-ws"], additional_headers=headers) as socket:
                socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": authorization}}))
                with pytest.raises(ConnectionClosed) as closed:
                    socket.recv(timeout=TIMEOUT)
            assert closed.value.rcvd.code == 1013, "try again later"
            assert json.loads(closed.value.rcvd.reason) == {"code": "SERVICE_UNAVAILABLE", "requestId": f"auth-{n}"}

    output = server.output()
    assert "<html" not in output.lower()
    assert output.count("websocket connect failed: SERVICE_UNAVAILABLE") == 2


@dataclass(frozen=True)
class Outcome:
    started: float
    finished: float
    status: int
    body: str

    @property
    def ok(self) -> bool:
        return self.status == 200 and '"errors"' not in self.body

    def overlaps(self, window: tuple[float, float]) -> bool:
        return self.started < window[1] and self.finished > window[0]


TERMINATE_OTHERS = """WITH others AS MATERIALIZED (
  SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)
) SELECT pid FROM others WHERE pg_terminate_backend(pid)"""


def _terminate_server_connections() -> tuple[float, float]:
    """Signal every connection to the test database but the test's own to terminate, all in one
    statement; wait until they are gone. The moments just before and after the signals."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    with psycopg.connect(**params, autocommit=True) as admin:
        began = time.monotonic()
        rows = admin.execute(TERMINATE_OTHERS, (own,))
        signalled = time.monotonic()
        pids = [pid for (pid,) in rows.fetchall()]
        assert pids, "the server holds pooled connections"
        deadline = time.monotonic() + 30
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0]:
            assert time.monotonic() < deadline, "terminated backends still there after 30 s"
            time.sleep(0.01)
    return began, signalled


def test_killed_pooled_connections_fail_no_request_that_was_not_in_flight(customer):
    token = process_token(customer)
    query = {"query": "query Load { me { email } products(first: 1) { totalCount } }"}
    outcomes: list[Outcome] = []
    stop = threading.Event()

    def load(url: str) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = session.post(url, json=query, headers={"Authorization": f"JWT {token}"}, timeout=60)
                    status, body = response.status_code, response.text
                except requests.RequestException as error:
                    status, body = 0, repr(error)
                outcomes.append(Outcome(started, time.monotonic(), status, body))

    def wait_for_successes_since(moment: float, count: int) -> None:
        deadline = time.monotonic() + 120
        while sum(1 for o in list(outcomes) if o.started > moment and o.ok) < count:
            assert time.monotonic() < deadline, f"fewer than {count} answers in 120 s:\n{outcomes[-5:]}"
            time.sleep(0.1)

    kills: list[tuple[float, float]] = []
    with running_server(DB_POOL="1", DB_POOL_MIN_SIZE="4", DB_POOL_MAX_SIZE="4") as server:
        threads = [threading.Thread(target=load, args=(f"{server.url}/graphql/",)) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            wait_for_successes_since(0, 20)
            for _ in range(3):
                kills.append(_terminate_server_connections())
                wait_for_successes_since(kills[-1][1], 40)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)

    assert not [o for o in outcomes if o.status == 500 or "<html" in o.body.lower()], "no HTML 500, ever"
    # Only a request in flight during a kill may lose its connection mid-query: a coded, retryable 503.
    in_flight = [o for o in outcomes if any(o.overlaps(kill) for kill in kills)]
    assert all(o.ok or (o.status == 503 and "SERVICE_UNAVAILABLE" in o.body) for o in in_flight), in_flight
    others = [o for o in outcomes if o not in in_flight]
    assert [o for o in others if not o.ok] == [], "every pooled connection is checked before it is lent"
