"""Over a real uvicorn server: logging out closes that session's websocket (4403)
and leaves the same user's other session open."""

import json
import time

import pytest
import requests
from django.db import connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from accounts.tokens import token_pair_issue
from commerce.models import PaymentMethod
from tests.factories import gid, make_product, order_place
from tests.processes import running_server
from tests.system.test_websockets_at_scale import METRICS_TOKEN, _stream_subscribers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 30


def authenticate(socket: ClientConnection, token: str) -> None:
    socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"JWT {token}"}}))
    assert json.loads(socket.recv(timeout=TIMEOUT)) == {"type": "connection_ack"}


def test_logout_closes_that_sessions_socket_on_a_real_server(customer, settings):
    this, other = token_pair_issue(user=customer), token_pair_issue(user=customer)

    with running_server("--ws", "websockets", JWT_SECRET_KEY=settings.JWT_SECRET_KEY) as server:
        url = server.url.replace("http://", "ws://") + "/graphql/"
        with (
            connect(url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT) as this_socket,
            connect(url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT) as other_socket,
        ):
            authenticate(this_socket, this.token)
            authenticate(other_socket, other.token)

            logout = requests.post(
                f"{server.url}/graphql/",
                json={"query": "mutation { logout { __typename } }"},
                headers={"Authorization": f"JWT {this.token}"},
                timeout=TIMEOUT,
            )
            assert logout.json() == {"data": {"logout": {"__typename": "OkPayload"}}}

            with pytest.raises(ConnectionClosed) as closed:
                this_socket.recv(timeout=TIMEOUT)
            assert closed.value.rcvd.code == 4403

            other_socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "query { me { email } }"}})
            )
            answer = json.loads(other_socket.recv(timeout=TIMEOUT))
            assert answer["payload"]["data"] == {"me": {"email": "customer@example.com"}}


# libpq names the server's connections by it; the front's token check pool names its own.
SERVER_APPLICATION_NAME = "fmcore-websocket-test-server"


def _server_connections() -> int:
    """The server's Django connections to this session's database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [SERVER_APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


def test_a_subscription_holds_no_database_connection_between_events(customer, staff, settings, tmp_path):
    """The socket's authentication, the subscription's start and each event's load close their
    connection when done (no pool, so a kept one would stay open in the server)."""
    order = order_place(customer, (make_product(), 1), method=PaymentMethod.COD)
    token, staff_token = token_pair_issue(user=customer).token, token_pair_issue(user=staff).token
    subscribe = {"query": "subscription($id: ID!) { orderStatusChanged(orderId: $id) { toStatus } }"}
    subscribe["variables"] = {"id": gid("Order", order.pk)}

    env = {"DB_POOL": "0", "METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env["PGAPPNAME"] = SERVER_APPLICATION_NAME
    with running_server("--ws", "websockets", JWT_SECRET_KEY=settings.JWT_SECRET_KEY, **env) as server:
        url = server.url.replace("http://", "ws://") + "/graphql/"
        with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT) as socket:
            authenticate(socket, token)
            socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            confirm = {
                "query": "mutation($id: ID!) { updateOrderStatus(orderId: $id, status: CONFIRMED) { __typename } }",
                "variables": {"id": gid("Order", order.pk)},
            }
            deadline = time.monotonic() + TIMEOUT
            # graphql-transport-ws does not acknowledge `subscribe`: confirm once the subscription listens.
            while not _stream_subscribers(server.url):
                assert time.monotonic() < deadline, "the subscription never started"
                time.sleep(0.1)
            answer = requests.post(
                f"{server.url}/graphql/", json=confirm, headers={"Authorization": f"JWT {staff_token}"}, timeout=TIMEOUT
            )
            assert answer.json() == {"data": {"updateOrderStatus": {"__typename": "OrderPayload"}}}
            event = json.loads(socket.recv(timeout=TIMEOUT))
            assert event["payload"]["data"] == {"orderStatusChanged": {"toStatus": "CONFIRMED"}}

            # The mutation's own connection closes as its request ends; a kept one would stay.
            deadline = time.monotonic() + 5
            while _server_connections() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _server_connections() == 0
