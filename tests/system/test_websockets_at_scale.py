"""A thousand graphql-transport-ws subscribers on a real two-worker server.

They connect and subscribe at once, all receive one status event, and close
at once: no error in the server's log, one member of the stream's
channel-layer group per worker while they listen and none left in any group
(channels-redis keeps groups in the sorted sets `<prefix>:group:<name>`),
and the memory they took in the workers bounded and given back.
"""

import asyncio
import json
import resource
import time
import uuid
from collections.abc import Callable

import pytest
import redis
import requests
import websockets
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from bench import operations
from commerce.models import PaymentMethod
from tests.factories import gid, make_product, order_place
from tests.processes import RunningProcess, process_token, rss_bytes, running_server, worker_pids

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real processes need PostgreSQL"),
]

SUBSCRIBERS = 1000
WORKERS = 2
# The issue measured ~180 KB per idle subscriber on uvicorn's legacy `websockets`
# protocol (75-90 KB here); `websockets-sansio` measured 24-42 KB. Generous, since RSS
# moves with the allocator and with whatever else a worker does.
MAX_BYTES_PER_SUBSCRIBER = 64 * 1024
# What the workers keep once all closed: 23-55 MB before they trimmed the heap after closes, 14-17 MB since.
MAX_KEPT_BYTES = 24 * 1024 * 1024
TIMEOUT = 120
# The workers hand freed heap memory back a second after closes (infra/memory.py).
TRIM_SECONDS = 2
METRICS_TOKEN = "scrape-token"


def _raise_open_files_limit(needed: int) -> None:
    """Each subscriber is a socket here and one in a worker: lift the soft limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def _poll(
    condition: Callable[[], bool], what: str, state: Callable[[], object] = lambda: "", timeout: float = TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout} s {state()}")
        time.sleep(0.2)


class Groups:
    """The channel-layer groups of one server (its own prefix) in Redis."""

    def __init__(self, prefix: str):
        self.redis = redis.Redis.from_url(settings.REDIS_URL)
        self.prefix = prefix

    def members(self) -> dict[str, int]:
        keys = self.redis.keys(f"{self.prefix}:group:*")
        return {key.decode().rsplit(":", 1)[1]: self.redis.zcard(key) for key in keys}

    def member_processes(self, group: str) -> set[str]:
        """The processes whose channels are in `group` (a channel is `specific.<process>!<id>`)."""
        channels = self.redis.zrange(f"{self.prefix}:group:{group}", 0, -1)
        return {channel.decode().split("!")[0] for channel in channels}


class Subscribers:
    """SUBSCRIBERS websockets of one staff user following every order."""

    def __init__(self, url: str, token: str, count: int):
        self.uri = url.replace("http://", "ws://") + "/graphql/"
        self.token = token
        self.count = count
        self.subscribed = 0
        self.events: list[dict] = []
        self.failures: list[str] = []

    async def _one(self, close: asyncio.Event) -> None:
        try:
            async with websockets.connect(
                self.uri, subprotocols=["graphql-transport-ws"], open_timeout=TIMEOUT, close_timeout=TIMEOUT
            ) as socket:
                init = {"type": "connection_init", "payload": {"authorization": f"JWT {self.token}"}}
                await socket.send(json.dumps(init))
                ack = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
                assert ack["type"] == "connection_ack", ack
                subscribe = {"id": "1", "type": "subscribe", "payload": {"query": operations.ORDER_STATUS_CHANGED}}
                await socket.send(json.dumps(subscribe))
                self.subscribed += 1
                receive = asyncio.ensure_future(socket.recv())
                await asyncio.wait([receive, asyncio.ensure_future(close.wait())], return_when=asyncio.FIRST_COMPLETED)
                if receive.done():
                    self.events.append(json.loads(receive.result()))
                    await close.wait()
                else:
                    receive.cancel()
        except Exception as error:
            self.failures.append(repr(error))

    async def run(self, while_open: Callable[[], None] | None = None) -> None:
        """Open every subscriber at once, call `while_open` in a thread, then close them all at once.

        Without `while_open`, each closes as soon as it has sent `subscribe`."""
        close = asyncio.Event()
        if while_open is None:
            close.set()
        tasks = [asyncio.create_task(self._one(close)) for _ in range(self.count)]
        try:
            if while_open is not None:
                await asyncio.to_thread(while_open)
        finally:
            close.set()
            await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)


def _workers_rss(pids: list[int]) -> int:
    return sum(rss_bytes(pid) for pid in pids)


def _staff_order(make_user) -> tuple[str, str]:
    staff = make_user(staff=True)
    order = order_place(make_user(), (make_product(), 1), method=PaymentMethod.COD)
    return process_token(staff), gid("Order", order.pk)


def _confirm(server: RunningProcess, token: str, order_id: str) -> None:
    body = {"query": operations.UPDATE_ORDER_STATUS, "variables": {"orderId": order_id, "status": "CONFIRMED"}}
    answer = requests.post(f"{server.url}/graphql/", json=body, headers={"Authorization": f"JWT {token}"}, timeout=60)
    assert answer.json()["data"]["updateOrderStatus"]["order"] == {"status": "CONFIRMED"}, answer.text


def _stream_subscribers(url: str) -> float:
    """The workers' subscriptions receiving live group messages (their /metrics gauge)."""
    answer = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "fmcore_stream_subscribers"
    )


def test_a_thousand_subscribers_connect_receive_and_leave_at_once(make_user, tmp_path):
    _raise_open_files_limit(4 * SUBSCRIBERS)
    token, order_id = _staff_order(make_user)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    groups = Groups(prefix)
    metrics = {"METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    with running_server(
        "--workers", str(WORKERS), "--ws", "websockets-sansio", CHANNEL_LAYER_PREFIX=prefix, **metrics
    ) as server:
        pids = worker_pids(server, WORKERS)
        # Connect, subscribe and leave at once (this also warms the workers up before measuring them).
        hasty = Subscribers(server.url, token, SUBSCRIBERS)
        asyncio.run(hasty.run())
        assert hasty.failures == [] and hasty.subscribed == SUBSCRIBERS
        _poll(lambda: not groups.members(), "every hasty member gone", groups.members)
        rss = {"before": _workers_rss(pids)}

        subscribers = Subscribers(server.url, token, SUBSCRIBERS)

        def while_open() -> None:
            # Subscribing is not acknowledged: the gauge counts the subscriptions that listen.
            _poll(
                lambda: _stream_subscribers(server.url) == SUBSCRIBERS,
                "all subscribed",
                lambda: (_stream_subscribers(server.url), subscribers.subscribed, subscribers.failures[:3]),
            )
            rss["connected"] = _workers_rss(pids)
            # One member per worker, however many of its subscribers follow the group.
            assert groups.members().get("orders.all") == WORKERS, groups.members()
            assert len(groups.member_processes("orders.all")) == WORKERS, "subscribers on both workers"
            _confirm(server, token, order_id)
            _poll(lambda: len(subscribers.events) + len(subscribers.failures) >= SUBSCRIBERS, "all delivered")

        asyncio.run(subscribers.run(while_open))
        _poll(lambda: not groups.members(), "every member gone", groups.members)
        time.sleep(TRIM_SECONDS)
        rss["closed"] = _workers_rss(pids)
        log = server.output()

    assert subscribers.failures == []
    assert {event["payload"]["data"]["orderStatusChanged"]["toStatus"] for event in subscribers.events} == {"CONFIRMED"}
    assert len(subscribers.events) == SUBSCRIBERS
    for sign in ("Traceback", "MaxConnectionsError", '"level": "ERROR"'):
        assert sign not in log, log[-5000:]
    per_subscriber = (rss["connected"] - rss["before"]) / SUBSCRIBERS
    kept = rss["closed"] - rss["before"]
    print(f"RSS per idle subscriber {per_subscriber / 1024:.1f} KB; kept after close {kept / 1024:.0f} KB")
    assert per_subscriber <= MAX_BYTES_PER_SUBSCRIBER
    assert kept <= MAX_KEPT_BYTES
