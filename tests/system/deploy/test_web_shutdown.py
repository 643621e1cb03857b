"""A web replica on SIGTERM, started with the image's CMD: its GraphQL websockets
close with 1001 so clients reconnect to another replica, a request in flight
still completes, and the process exits within SHUTDOWN_TIMEOUT without uvicorn
having to cancel anything."""

import json
import signal
import threading
import time

import pytest
import redis
import requests
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from accounts.models import User
from accounts.principal import Principal
from commerce.orders import events
from commerce.orders.status import order_transition
from tests.conftest import access_token
from tests.factories import gid
from tests.processes import free_port, process_env, running, wait_until_serving
from tests.system.deploy.definitions import image_env, local_argv
from tests.system.deploy.held_http import held_endpoint

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("real_services")]

SUBSCRIPTION = "subscription($id: ID) { orderStatusChanged(orderId: $id) { toStatus } }"
SHUTDOWN_TIMEOUT = 10
GOING_AWAY = 1001
MAYA_PAYMENT = {"id": "maya-pay-1", "status": "PAYMENT_SUCCESS", "amount": "1.00", "currency": "PHP"}


def subscribers(group: str) -> int:
    """Channels in a channel-layer group (channels-redis keeps a sorted set per group)."""
    return redis.Redis.from_url(settings.REDIS_URL).zcard(f"asgi:group:{group}")


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def subscribe(ws: ClientConnection, user: User, order_id: str) -> None:
    ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"JWT {access_token(user)}"}}))
    assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
    group = events.order_owner_group(user.pk)
    before = subscribers(group)
    payload = {"query": SUBSCRIPTION, "variables": {"id": order_id}}
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    # graphql-transport-ws does not acknowledge a subscription: watch the group instead.
    wait_for(lambda: subscribers(group) > before)


def test_sigterm_closes_websockets_with_1001_and_finishes_requests_in_flight(customer, place_order):
    order = place_order(customer)
    with held_endpoint(MAYA_PAYMENT) as maya:
        port = free_port()
        env = process_env(
            **{
                **image_env(),
                "PORT": str(port),
                "SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
                # Tokens this test issues must be valid there.
                "JWT_SECRET_KEY": settings.JWT_SECRET_KEY,
                # A Maya webhook makes the server look the payment up at Maya: held, it stays in flight.
                "MAYA_PUBLIC_KEY": "pk-test",
                "MAYA_SECRET_KEY": "sk-test",
                "MAYA_API_BASE": maya.url,
                "MAYA_WEBHOOK_IPS": "*",
            }
        )
        with running(local_argv("web", env), env) as web:
            web.url = f"http://127.0.0.1:{port}"
            wait_until_serving(web, path="/graphql/", timeout=60)
            with connect(f"ws://127.0.0.1:{port}/graphql/", subprotocols=["graphql-transport-ws"]) as ws:
                # The client offers permessage-deflate; the image serves websockets without it (README, Deploy).
                assert "Sec-WebSocket-Extensions" not in ws.response.headers
                subscribe(ws, customer, gid("Order", order.pk))
                order_transition(
                    order=order, to="CANCELLED", principal=Principal.for_user(customer), note="changed my mind"
                )
                event = json.loads(ws.recv(timeout=30))
                assert event["payload"]["data"]["orderStatusChanged"]["toStatus"] == "CANCELLED", event

                webhook: dict[str, requests.Response] = {}
                url = f"{web.url}/webhooks/payments/maya/"
                in_flight = threading.Thread(
                    target=lambda: webhook.update(response=requests.post(url, json={"id": "maya-pay-1"}, timeout=60))
                )
                in_flight.start()
                maya.wait_for_request()

                web.signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        ws.recv(timeout=30)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == GOING_AWAY, closed.value

            maya.release()
            in_flight.join(timeout=60)
            assert webhook["response"].status_code == 200, webhook["response"].text
            # uvicorn re-raises SIGTERM once done when it runs one process; its supervisor exits 0.
            assert web.wait(timeout=SHUTDOWN_TIMEOUT + 20) in {0, -signal.SIGTERM}, web.output()
            assert "timeout graceful shutdown exceeded" not in web.output()
