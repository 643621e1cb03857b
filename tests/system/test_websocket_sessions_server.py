"""Over a real uvicorn server: logging out closes that session's websocket (4403)
and leaves the same user's other session open."""

import json

import pytest
import requests
from django.db import connection
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from accounts.tokens import token_pair_issue
from tests.processes import running_server

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
