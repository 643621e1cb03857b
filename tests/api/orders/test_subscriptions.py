"""orderStatusChanged over graphql-transport-ws against the real ASGI app."""

import asyncio
import os

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts.principal import Principal
from commerce.models import OrderStatusChange
from commerce.orders import events
from commerce.orders.status import order_transition
from fmcore.asgi import application
from partners import services as partners
from partners.models import AppScope
from tests.conftest import access_token
from tests.factories import gid

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIPTION = """
subscription($id: ID) {
  orderStatusChanged(orderId: $id) {
    fromStatus toStatus changedAt
    order { number status lines { productName quantity } history { toStatus } }
  }
}
"""
# graphql-transport-ws does not acknowledge `subscribe`: give the server a moment to join its group.
SETTLE = 0.3


class Client:
    def __init__(self, communicator: WebsocketCommunicator):
        self.ws = communicator

    async def subscribe(self, order_id: str | None = None, sub_id: str = "1") -> None:
        variables = {"id": order_id} if order_id else {}
        await self.ws.send_json_to(
            {"id": sub_id, "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": variables}}
        )
        await asyncio.sleep(SETTLE)

    async def receive(self, timeout: float = 3) -> dict:
        return await self.ws.receive_json_from(timeout=timeout)

    async def refusal(self) -> tuple[str, str]:
        """A refused subscription: one result carrying the error, then `complete`."""
        message = await self.receive()
        assert message["type"] == "next" and message["payload"]["data"] is None, message
        assert (await self.receive())["type"] == "complete"
        error = message["payload"]["errors"][0]
        return error["extensions"]["code"], error["message"]

    async def nothing_arrives(self, timeout: float = 0.5) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)


async def connect(user=None, *, app_token: str | None = None) -> Client:
    communicator = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, subprotocol = await communicator.connect()
    assert connected and subprotocol == "graphql-transport-ws"
    payload = {"authorization": f"JWT {await sync_to_async(access_token)(user)}"} if user else {}
    if app_token:
        payload = {"authorization": f"App {app_token}"}
    await communicator.send_json_to({"type": "connection_init", "payload": payload})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "connection_ack"
    return Client(communicator)


move = sync_to_async(order_transition)


async def test_owner_receives_the_event_of_their_order(customer, place_order):
    order = await sync_to_async(place_order)(customer)
    client = await connect(customer)
    await client.subscribe(gid("Order", order.pk))

    await move(order=order, to="CANCELLED", principal=Principal.for_user(customer), note="no longer needed")

    message = await client.receive()
    assert message["type"] == "next", message
    event = message["payload"]["data"]["orderStatusChanged"]
    assert (event["fromStatus"], event["toStatus"]) == ("PENDING", "CANCELLED")
    assert event["order"]["number"] == order.number
    assert event["order"]["status"] == "CANCELLED"
    assert event["order"]["lines"] == [{"productName": "Coffee", "quantity": 2}]
    assert [h["toStatus"] for h in event["order"]["history"]] == ["PENDING", "CANCELLED"]
    assert event["changedAt"]
    await client.ws.disconnect()


async def test_customer_without_order_id_gets_all_of_theirs_and_nothing_else(customer, make_user, place_order):
    other = await sync_to_async(make_user)()
    mine = await sync_to_async(place_order)(customer)
    theirs = await sync_to_async(place_order)(other)
    client = await connect(customer)
    await client.subscribe()

    await move(order=theirs, to="CANCELLED", principal=Principal.for_user(other))
    await move(order=mine, to="CANCELLED", principal=Principal.for_user(customer))

    event = (await client.receive())["payload"]["data"]["orderStatusChanged"]
    assert event["order"]["number"] == mine.number
    assert await client.nothing_arrives()
    await client.ws.disconnect()


async def test_another_customer_is_refused_and_receives_nothing(customer, make_user, place_order):
    order = await sync_to_async(place_order)(customer)
    intruder = await sync_to_async(make_user)()
    client = await connect(intruder)
    await client.subscribe(gid("Order", order.pk))

    assert await client.refusal() == ("NOT_FOUND", "No order with this id.")

    await move(order=order, to="CANCELLED", principal=Principal.for_user(customer))
    assert await client.nothing_arrives()
    await client.ws.disconnect()


async def test_anonymous_subscribers_are_refused(customer, place_order):
    client = await connect()
    await client.subscribe()
    assert await client.refusal() == ("UNAUTHENTICATED", "You must be logged in to follow orders.")
    await client.ws.disconnect()


async def test_staff_receive_every_order_including_new_ones(staff, customer, make_user, place_order):
    client = await connect(staff)
    await client.subscribe()

    first = await sync_to_async(place_order)(customer)
    placed = (await client.receive())["payload"]["data"]["orderStatusChanged"]
    assert (placed["fromStatus"], placed["toStatus"], placed["order"]["number"]) == (None, "PENDING", first.number)

    other = await sync_to_async(make_user)()
    second = await sync_to_async(place_order)(other)
    await client.receive()
    await move(order=second, to="CONFIRMED", principal=Principal.for_user(staff))
    event = (await client.receive())["payload"]["data"]["orderStatusChanged"]
    assert (event["order"]["number"], event["toStatus"]) == (second.number, "CONFIRMED")
    await client.ws.disconnect()


async def test_an_app_with_orders_read_follows_every_order(customer, make_user, place_order):
    _, token = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ]
    )
    client = await connect(app_token=token)
    await client.subscribe()

    order = await sync_to_async(place_order)(await sync_to_async(make_user)())
    placed = (await client.receive())["payload"]["data"]["orderStatusChanged"]
    assert (placed["toStatus"], placed["order"]["number"]) == ("PENDING", order.number)
    await client.ws.disconnect()


async def test_an_app_without_orders_read_is_refused(customer, place_order):
    _, token = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Catalog", scopes=[AppScope.CATALOG_WRITE]
    )
    client = await connect(app_token=token)
    await client.subscribe()
    code, _ = await client.refusal()
    assert code == "PERMISSION_DENIED"
    await sync_to_async(place_order)(customer)
    assert await client.nothing_arrives()
    await client.ws.disconnect()


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (channels-redis)")
async def test_events_cross_processes_through_redis(customer, place_order, monkeypatch):
    from infra.channel_layer import PooledRedisChannelLayer

    order = await sync_to_async(place_order)(customer)
    client = await connect(customer)
    await client.subscribe(gid("Order", order.pk))

    # Another process (e.g. a Dramatiq worker) makes the change and publishes
    # through its own layer, built from the same Redis config.
    other_process_layer = PooledRedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    monkeypatch.setattr(events, "get_channel_layer", lambda: other_process_layer)
    await move(order=order, to="CANCELLED", principal=Principal.for_user(customer))
    event = (await client.receive())["payload"]["data"]["orderStatusChanged"]
    assert (event["order"]["number"], event["toStatus"]) == (order.number, "CANCELLED")

    # A message published twice (a relay retrying, say) is delivered once.
    change = await OrderStatusChange.objects.select_related("order").order_by("-sequence").afirst()
    await sync_to_async(events.status_event_publish)(events.status_message(change, change.order))
    assert await client.nothing_arrives()
    await client.ws.disconnect()


# A selection whose answer depends on who asks: the moves the caller may make
# next, and who made the change (staff and the person themself see it).
VIEWER_DEPENDENT = """
subscription {
  orderStatusChanged {
    toStatus
    order { number status availableTransitions history { toStatus actor { email } } }
  }
}
"""


class ExecutionCount:
    """How often the subscription's selection ran for an event (a spy on graphql-core's executor)."""

    def __init__(self, monkeypatch):
        from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

        self.count = 0
        run = StrawberryGraphQLCoreExecutionContext.execute_operation

        def counted(executor, *args, **kwargs):
            if executor.operation.operation.value == "subscription":
                self.count += 1
            return run(executor, *args, **kwargs)

        monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counted)


async def subscribed(user=None, *, app_token: str | None = None, query: str = VIEWER_DEPENDENT) -> Client:
    client = await connect(user, app_token=app_token)
    await client.ws.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": query}})
    return client


async def test_subscribers_who_see_the_same_share_one_execution_and_its_answer(
    staff, make_user, customer, place_order, monkeypatch
):
    other_staff = await sync_to_async(make_user)(staff=True)
    order = await sync_to_async(place_order)(customer)
    clients = [await subscribed(user) for user in (staff, other_staff, staff)]
    await asyncio.sleep(SETTLE)
    executions = ExecutionCount(monkeypatch)

    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff), note="checked")

    answers = [(await client.receive())["payload"] for client in clients]
    assert executions.count == 1
    event = answers[0]["data"]["orderStatusChanged"]
    assert event["order"]["availableTransitions"] == ["PAID", "CANCELLED"]
    assert [step["actor"] for step in event["order"]["history"]] == [{"email": customer.email}, {"email": staff.email}]
    assert answers[1] == answers[0] and answers[2] == answers[0]
    for client in clients:
        await client.ws.disconnect()


async def test_a_shared_answer_is_the_one_each_subscriber_gets_alone(staff, customer, place_order):
    order = await sync_to_async(place_order)(customer)
    shared = [await subscribed(staff) for _ in range(2)]
    await asyncio.sleep(SETTLE)
    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))
    live = [(await client.receive())["payload"] for client in shared]
    cursor_query = VIEWER_DEPENDENT.replace("toStatus\n", "toStatus cursor\n", 1)
    for client in shared:
        await client.ws.disconnect()

    # Replayed events are executed for each subscriber on its own.
    change = await OrderStatusChange.objects.filter(order=order).order_by("sequence").afirst()
    alone = await connect(staff)
    replay = cursor_query.replace("orderStatusChanged {", "orderStatusChanged(after: $after) {").replace(
        "subscription {", "subscription($after: String) {"
    )
    from commerce.event_stream import ORDER_EVENTS

    variables = {"after": ORDER_EVENTS.cursor_encode(change.sequence)}
    await alone.ws.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": replay, "variables": variables}})
    replayed = (await alone.receive())["payload"]
    replayed["data"]["orderStatusChanged"].pop("cursor")
    assert live[0] == live[1] == replayed
    await alone.ws.disconnect()


async def test_a_shared_answer_never_crosses_a_visibility_boundary(
    staff, customer, make_user, place_order, monkeypatch
):
    _, reader_token = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Reader", scopes=[AppScope.ORDERS_READ]
    )
    _, writer_token = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Writer", scopes=[AppScope.ORDERS_READ, AppScope.ORDERS_WRITE]
    )
    order = await sync_to_async(place_order)(customer)
    # Each kind of caller subscribes twice, interleaved: whoever runs first, nobody gets another's answer.
    callers = {
        "owner": {"user": customer},
        "staff": {"user": staff},
        "reader app": {"app_token": reader_token},
        "writer app": {"app_token": writer_token},
    }
    clients = {name: [] for name in callers}
    for _ in range(2):
        for name, caller in callers.items():
            clients[name].append(await subscribed(**caller))
    stranger = await subscribed(await sync_to_async(make_user)())
    await asyncio.sleep(SETTLE)
    executions = ExecutionCount(monkeypatch)

    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))

    answers = {
        name: [(await client.receive())["payload"]["data"]["orderStatusChanged"]["order"] for client in pair]
        for name, pair in clients.items()
    }
    assert executions.count == len(callers)
    for pair in answers.values():
        assert pair[0] == pair[1]
    seen = {
        name: (pair[0]["availableTransitions"], [step["actor"] for step in pair[0]["history"]])
        for name, pair in answers.items()
    }
    assert seen == {
        "owner": (["CANCELLED"], [{"email": customer.email}, None]),
        "staff": (["PAID", "CANCELLED"], [{"email": customer.email}, {"email": staff.email}]),
        "reader app": ([], [None, None]),
        "writer app": (["PAID", "CANCELLED"], [None, None]),
    }
    assert await stranger.nothing_arrives()
    for pair in clients.values():
        for client in pair:
            await client.ws.disconnect()
    await stranger.ws.disconnect()


async def group_member_count(group: str) -> int:
    """Members of `group` in this process's channel layer (in memory or channels-redis)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return len(layer.groups.get(group, {}))
    return await layer.connection(layer.consistent_hash(group)).zcard(layer._group_key(group))


async def test_one_membership_per_group_serves_subscribers_who_see_differently(staff, customer, make_user, place_order):
    other = await sync_to_async(make_user)()
    mine = await sync_to_async(place_order)(customer)
    theirs = await sync_to_async(place_order)(other)
    watchers = [await connect(staff) for _ in range(3)]
    owner = await connect(customer)
    bystander = await connect(other)
    for watcher in watchers:
        await watcher.subscribe()
    # Two subscriptions of one socket: the same answer, each under its own id.
    await owner.subscribe(sub_id="a")
    await owner.subscribe(gid("Order", mine.pk), sub_id="b")
    await bystander.subscribe()
    assert await group_member_count(events.GROUP_ALL) == 1
    assert await group_member_count(events.order_owner_group(customer.pk)) == 1

    await move(order=mine, to="CANCELLED", principal=Principal.for_user(customer))

    for watcher in watchers:
        message = await watcher.receive()
        assert (message["id"], message["payload"]["data"]["orderStatusChanged"]["order"]["number"]) == (
            "1",
            mine.number,
        )
    answers = {message["id"]: message["payload"] for message in [await owner.receive(), await owner.receive()]}
    assert set(answers) == {"a", "b"} and answers["a"] == answers["b"]
    assert answers["a"]["data"]["orderStatusChanged"]["toStatus"] == "CANCELLED"
    assert await bystander.nothing_arrives()

    await move(order=theirs, to="CANCELLED", principal=Principal.for_user(other))
    assert (await bystander.receive())["payload"]["data"]["orderStatusChanged"]["order"]["number"] == theirs.number
    assert await owner.nothing_arrives()

    for client in (*watchers, owner, bystander):
        await client.ws.disconnect()
    await asyncio.sleep(SETTLE)
    assert await group_member_count(events.GROUP_ALL) == 0
    assert await group_member_count(events.order_owner_group(customer.pk)) == 0
    assert await group_member_count(events.order_owner_group(other.pk)) == 0


async def test_a_subscriber_arriving_after_the_last_left_listens_again(staff, customer, place_order):
    order = await sync_to_async(place_order)(customer)
    first = await connect(staff)
    await first.subscribe()
    await first.ws.disconnect()
    # The membership is being discarded while the next subscription joins afresh.
    second = await connect(staff)
    await second.subscribe()

    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))

    event = (await second.receive())["payload"]["data"]["orderStatusChanged"]
    assert (event["order"]["number"], event["toStatus"]) == (order.number, "CONFIRMED")
    await second.ws.disconnect()
    await asyncio.sleep(SETTLE)
    assert await group_member_count(events.GROUP_ALL) == 0


async def test_a_shared_answer_is_encoded_once_for_all_its_frames(staff, customer, place_order, monkeypatch):
    from schema.views import FmGraphQLWSConsumer

    order = await sync_to_async(place_order)(customer)
    clients = [await subscribed(staff) for _ in range(3)]
    await asyncio.sleep(SETTLE)
    encoded_answers = []
    encode = FmGraphQLWSConsumer._encode

    def counted(data: object) -> bytes:
        if isinstance(data, dict) and "orderStatusChanged" in data:
            encoded_answers.append(data)
        return encode(data)

    monkeypatch.setattr(FmGraphQLWSConsumer, "_encode", staticmethod(counted))

    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))

    messages = [await client.receive() for client in clients]
    assert len(encoded_answers) == 1
    assert all(message == {"id": "1", "type": "next", "payload": {"data": encoded_answers[0]}} for message in messages)
    for client in clients:
        await client.ws.disconnect()


# On either channel layer: with Redis, the task that opens a pooled connection is often a
# consumer's (infra/channel_layer.py keeps that from pinning it). A subscription's executor
# holds its context and user: left in a cycle, a thousand of them stayed until a full collection.
async def test_a_closed_connection_is_freed_without_waiting_for_the_garbage_collector(staff, customer, place_order):
    import gc

    from schema.context import Context
    from schema.process_listeners import _Membership
    from schema.shared_results import SharedResultExecutor
    from schema.views import FmGraphQLWSConsumer

    kept = (FmGraphQLWSConsumer, SharedResultExecutor, Context, _Membership)

    def in_memory() -> dict[str, int]:
        """This test's consumers, executors, contexts and group memberships still in memory (not an earlier test's)."""
        counts = dict.fromkeys((kind.__name__ for kind in kept), 0)
        for thing in gc.get_objects():
            if type(thing) in kept and id(thing) not in earlier:
                counts[type(thing).__name__] += 1
        return counts

    order = await sync_to_async(place_order)(customer)
    gc.collect()
    earlier = {id(thing) for thing in gc.get_objects() if type(thing) in kept}
    gc.disable()  # only reference counting frees: anything in a reference cycle would stay
    try:
        clients = [await subscribed(staff) for _ in range(3)]
        await asyncio.sleep(SETTLE)
        await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))
        for client in clients:
            await client.receive()
        assert in_memory()["FmGraphQLWSConsumer"] == 3
        for client in clients:
            await client.ws.disconnect()
        await asyncio.sleep(SETTLE)
        assert in_memory() == dict.fromkeys((kind.__name__ for kind in kept), 0)
    finally:
        gc.enable()


RESUMABLE_FULL = """
subscription($id: ID, $after: String) {
  orderStatusChanged(orderId: $id, after: $after) {
    cursor fromStatus toStatus changedAt
    order { number status availableTransitions lines { productName quantity } history { toStatus actor { email } } }
  }
}
"""


async def full_subscription(user, *, after: str | None = None, order_id: str | None = None) -> Client:
    client = await connect(user)
    variables = {"after": after, "id": order_id}
    await client.ws.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": RESUMABLE_FULL, "variables": variables}}
    )
    await asyncio.sleep(SETTLE)
    return client


async def first_change_cursor(order) -> str:
    from commerce.event_stream import ORDER_EVENTS

    change = await OrderStatusChange.objects.filter(order=order).order_by("sequence").afirst()
    return ORDER_EVENTS.cursor_encode(change.sequence)


async def test_a_live_shared_frame_is_byte_for_byte_the_frame_of_its_replay(staff, customer, place_order):
    # Live events are written from the shared answer; replayed ones go through strawberry's own pipeline.
    order = await sync_to_async(place_order)(customer)
    viewers = {"staff": staff, "owner": customer}
    live = {name: [await full_subscription(user) for _ in range(2)] for name, user in viewers.items()}
    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff), note="checked")
    frames = {name: [await client.ws.receive_from(timeout=3) for client in pair] for name, pair in live.items()}
    for pair in live.values():
        for client in pair:
            await client.ws.disconnect()

    after = await first_change_cursor(order)
    for name, user in viewers.items():
        resumed = await full_subscription(user, after=after)
        replayed = await resumed.ws.receive_from(timeout=3)
        assert frames[name] == [replayed, replayed]
        await resumed.ws.disconnect()
    assert frames["staff"] != frames["owner"]  # what each may see differs (transitions, actors)


async def test_a_resumed_subscriber_gets_its_replay_then_the_live_frames_in_order_once(staff, customer, place_order):
    other = await sync_to_async(place_order)(customer)  # before: its event is not in the replay
    order = await sync_to_async(place_order)(customer)
    watcher = await full_subscription(staff)
    following_other = await full_subscription(staff, order_id=gid("Order", other.pk))
    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))
    confirmed = await watcher.ws.receive_from(timeout=3)

    resumer = await full_subscription(staff, after=await first_change_cursor(order))
    assert await resumer.ws.receive_from(timeout=3) == confirmed
    await move(order=order, to="PAID", principal=Principal.for_user(staff))
    paid = await watcher.ws.receive_from(timeout=3)
    assert '"toStatus":"PAID"' in paid
    assert await resumer.ws.receive_from(timeout=3) == paid
    for client in (watcher, resumer, following_other):
        assert await client.nothing_arrives()
        await client.ws.disconnect()
