"""Resumable order events: `orderStatusChanged(after:)` over graphql-transport-ws
against the real ASGI app, and the `orderEvents` connection over HTTP."""

import asyncio
import threading
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from accounts.principal import Principal
from commerce.event_stream import ORDER_EVENTS
from commerce.models import OrderStatusChange
from commerce.orders.status import order_transition
from partners import services as partners
from partners.models import AppScope
from tests.api.orders.test_subscriptions import Client, connect
from tests.factories import gid

RESUMABLE = """
subscription($id: ID, $after: String) {
  orderStatusChanged(orderId: $id, after: $after) { cursor fromStatus toStatus order { number } }
}
"""

ORDER_EVENTS_QUERY = """
query($after: String, $first: Int, $id: ID) {
  orderEvents(after: $after, first: $first, orderId: $id) {
    edges { cursor node { cursor toStatus order { number } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

move = sync_to_async(order_transition)


async def subscribe(client: Client, *, after: str | None = None, order_id: str | None = None) -> None:
    variables = {"after": after, "id": order_id}
    await client.ws.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": RESUMABLE, "variables": variables}}
    )
    await asyncio.sleep(0.3)  # graphql-transport-ws does not acknowledge `subscribe`


async def event(client: Client, timeout: float = 10) -> tuple[str, str, str]:
    message = await client.receive(timeout=timeout)
    assert message["type"] == "next" and "errors" not in message["payload"], message
    data = message["payload"]["data"]["orderStatusChanged"]
    return data["order"]["number"], data["toStatus"], data["cursor"]


async def events(client: Client, count: int) -> list[tuple[str, str, str]]:
    return [await event(client) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
async def test_a_resumed_subscriber_gets_exactly_what_it_missed_in_order_then_live_events(
    customer, staff, make_user, place_order
):
    other = await sync_to_async(make_user)()
    first = await sync_to_async(place_order)(customer)
    client = await connect(customer)
    await subscribe(client)
    await move(order=first, to="CONFIRMED", principal=Principal.for_user(staff))
    *_, last_cursor = await event(client)
    await client.ws.disconnect()  # the socket dies

    second = await sync_to_async(place_order)(customer)
    await move(order=second, to="CONFIRMED", principal=Principal.for_user(staff))
    await sync_to_async(place_order)(other)  # not theirs: never delivered
    await move(order=first, to="PAID", principal=Principal.for_user(staff))
    await move(order=second, to="CANCELLED", principal=Principal.for_user(customer))
    await move(order=first, to="COMPLETED", principal=Principal.for_user(staff))

    client = await connect(customer)
    await subscribe(client, after=last_cursor)
    replayed = await events(client, 5)
    assert [(number, status) for number, status, _ in replayed] == [
        (second.number, "PENDING"),
        (second.number, "CONFIRMED"),
        (first.number, "PAID"),
        (second.number, "CANCELLED"),
        (first.number, "COMPLETED"),
    ]
    assert await client.nothing_arrives()

    third = await sync_to_async(place_order)(customer)
    number, status, cursor = await event(client)
    assert (number, status) == (third.number, "PENDING")
    assert await client.nothing_arrives()
    # Each cursor resumes right after its event.
    await client.ws.disconnect()
    client = await connect(customer)
    await subscribe(client, after=replayed[2][2])
    assert [e[2] for e in await events(client, 3)] == [replayed[3][2], replayed[4][2], cursor]
    await client.ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_resuming_one_order_replays_only_that_order(customer, staff, place_order):
    order = await sync_to_async(place_order)(customer)
    start = await sync_to_async(_cursor_of_latest)()
    other = await sync_to_async(place_order)(customer)
    await move(order=other, to="CANCELLED", principal=Principal.for_user(customer))
    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))

    client = await connect(customer)
    await subscribe(client, after=start, order_id=gid("Order", order.pk))
    assert [(n, s) for n, s, _ in await events(client, 1)] == [(order.number, "CONFIRMED")]
    assert await client.nothing_arrives()
    await client.ws.disconnect()


def _cursor_of_latest() -> str:
    return ORDER_EVENTS.cursor_encode(ORDER_EVENTS.latest_sequence())


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrent transactions")
@pytest.mark.django_db(transaction=True)
async def test_events_committed_while_the_replay_runs_arrive_once_and_in_order(staff, make_user, place_order):
    """An event is in flight (written, not committed) when the resumed subscriber
    reads the log; a later one is written meanwhile. Both must arrive live, the
    in-flight one first, and nothing twice, while writers keep committing."""
    buyers = [await sync_to_async(make_user)() for _ in range(4)]
    orders = [await sync_to_async(place_order)(buyer) for buyer in buyers]
    start = await sync_to_async(_cursor_of_latest)()
    for order in orders[:2]:
        await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))  # to replay

    in_flight_written = threading.Event()
    release = threading.Event()

    def in_flight_transition() -> None:
        with transaction.atomic():
            order_transition(order=orders[2], to="CONFIRMED", principal=Principal.for_user(staff))
            in_flight_written.set()
            assert release.wait(30)
        connection.close()

    def later_transition() -> None:
        order_transition(order=orders[3], to="CONFIRMED", principal=Principal.for_user(staff))
        connection.close()

    in_flight = asyncio.ensure_future(sync_to_async(in_flight_transition, thread_sensitive=False)())
    assert await asyncio.to_thread(in_flight_written.wait, 30)
    later = asyncio.ensure_future(sync_to_async(later_transition, thread_sensitive=False)())

    client = await connect(staff)
    await subscribe(client, after=start)
    replayed = await events(client, 2)
    release.set()
    await in_flight
    await later
    live = await events(client, 2)
    # And more commits racing each other after that.
    await asyncio.gather(*(move(order=order, to="PAID", principal=Principal.for_user(staff)) for order in orders))
    racing = await events(client, 4)
    assert await client.nothing_arrives(timeout=1)

    received = replayed + live + racing
    expected = await sync_to_async(_stream_after)(start)
    assert [cursor for *_, cursor in received] == expected
    assert [(n, s) for n, s, _ in replayed + live] == [
        (orders[0].number, "CONFIRMED"),
        (orders[1].number, "CONFIRMED"),
        (orders[2].number, "CONFIRMED"),
        (orders[3].number, "CONFIRMED"),
    ]
    await client.ws.disconnect()


def _stream_after(cursor: str) -> list[str]:
    after = ORDER_EVENTS.cursor_decode(cursor)
    sequences = OrderStatusChange.objects.filter(sequence__gt=after).order_by("sequence")
    return [ORDER_EVENTS.cursor_encode(sequence) for sequence in sequences.values_list("sequence", flat=True)]


@pytest.mark.django_db
def test_order_events_pages_through_the_stream_with_the_subscription_cursors(gql, customer, staff, place_order):
    first = place_order(customer)
    second = place_order(customer)
    order_transition(order=first, to="CONFIRMED", principal=Principal.for_user(staff))
    order_transition(order=second, to="CANCELLED", principal=Principal.for_user(customer))

    seen, after, pages = [], None, 0
    while True:
        page = gql(ORDER_EVENTS_QUERY, {"after": after, "first": 3}, user=customer)["orderEvents"]
        seen += [(edge["node"]["order"]["number"], edge["node"]["toStatus"]) for edge in page["edges"]]
        assert all(edge["cursor"] == edge["node"]["cursor"] for edge in page["edges"])
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 2
    total = gql("query($after: String) { orderEvents(after: $after) { totalCount } }", {"after": after}, user=customer)
    assert total["orderEvents"]["totalCount"] == 1  # what is left after the first page
    assert seen == [
        (first.number, "PENDING"),
        (second.number, "PENDING"),
        (first.number, "CONFIRMED"),
        (second.number, "CANCELLED"),
    ]
    only_first = gql(ORDER_EVENTS_QUERY, {"id": gid("Order", first.pk)}, user=customer)["orderEvents"]["edges"]
    assert [edge["node"]["toStatus"] for edge in only_first] == ["PENDING", "CONFIRMED"]
    assert gql.error_codes(ORDER_EVENTS_QUERY, {"first": 101}, user=customer) == ["INVALID_PAGINATION"]


@pytest.mark.django_db
def test_order_events_are_visible_to_owners_staff_and_order_reading_apps_only(
    gql, customer, staff, make_user, place_order
):
    mine = place_order(customer)
    theirs = place_order(make_user())

    def numbers(**credentials) -> list[str]:
        edges = gql(ORDER_EVENTS_QUERY, **credentials)["orderEvents"]["edges"]
        return [edge["node"]["order"]["number"] for edge in edges]

    assert numbers(user=customer) == [mine.number]
    assert numbers(user=staff) == [mine.number, theirs.number]
    _, reader = partners.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    assert numbers(headers={"Authorization": f"App {reader}"}) == [mine.number, theirs.number]

    _, catalog_app = partners.app_create(principal=Principal.system(), name="Catalog", scopes=[AppScope.CATALOG_WRITE])
    assert gql.error_codes(ORDER_EVENTS_QUERY, headers={"Authorization": f"App {catalog_app}"}) == ["PERMISSION_DENIED"]
    assert numbers() == []  # anonymous: an empty page, as from `orders`
    # Another customer's order id yields nothing, not its events.
    assert gql(ORDER_EVENTS_QUERY, {"id": gid("Order", theirs.pk)}, user=customer)["orderEvents"]["edges"] == []


@pytest.mark.django_db(transaction=True)
async def test_a_customer_resuming_does_not_get_other_customers_events(customer, make_user, place_order):
    other = await sync_to_async(make_user)()
    theirs = await sync_to_async(place_order)(other)
    start = await sync_to_async(_cursor_of_latest)()
    await move(order=theirs, to="CANCELLED", principal=Principal.for_user(other))
    mine = await sync_to_async(place_order)(customer)

    client = await connect(customer)
    await subscribe(client, after=start)
    assert [(n, s) for n, s, _ in await events(client, 1)] == [(mine.number, "PENDING")]
    assert await client.nothing_arrives()
    await client.ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_cursor_beyond_the_retention_is_expired_and_a_forged_one_invalid(
    settings, customer, staff, place_order
):
    settings.ORDER_EVENT_RETENTION_SECONDS = 3600
    order = await sync_to_async(place_order)(customer)
    old_cursor = await sync_to_async(_cursor_of_latest)()
    await move(order=order, to="CONFIRMED", principal=Principal.for_user(staff))
    recent_cursor = await sync_to_async(_cursor_of_latest)()
    await OrderStatusChange.objects.filter(to_status="CONFIRMED").aupdate(
        created_at=timezone.now() - timedelta(hours=2)
    )
    await move(order=order, to="PAID", principal=Principal.for_user(staff))

    client = await connect(customer)
    await subscribe(client, after=old_cursor)
    code, message = await client.refusal()
    assert code == "CURSOR_EXPIRED" and "retention" in message
    await client.ws.disconnect()

    # From the recent cursor nothing older than an hour would be skipped.
    client = await connect(customer)
    await subscribe(client, after=recent_cursor)
    assert [(n, s) for n, s, _ in await events(client, 1)] == [(order.number, "PAID")]
    await client.ws.disconnect()

    for forged in ("not-a-cursor", "b3JkZXItZXZlbnQ6OTk5OTk5"):  # the second: "order-event:999999"
        client = await connect(customer)
        await subscribe(client, after=forged)
        assert (await client.refusal())[0] == "INVALID_CURSOR"
        await client.ws.disconnect()


@pytest.mark.django_db
def test_order_events_refuse_expired_and_invalid_cursors(gql, settings, customer, staff, place_order):
    settings.ORDER_EVENT_RETENTION_SECONDS = 3600
    order = place_order(customer)
    old_cursor = _cursor_of_latest()
    order_transition(order=order, to="CONFIRMED", principal=Principal.for_user(staff))
    OrderStatusChange.objects.filter(to_status="CONFIRMED").update(created_at=timezone.now() - timedelta(hours=2))

    assert gql.error_codes(ORDER_EVENTS_QUERY, {"after": old_cursor}, user=customer) == ["CURSOR_EXPIRED"]
    assert gql.error_codes(ORDER_EVENTS_QUERY, {"after": "garbage"}, user=customer) == ["INVALID_CURSOR"]
    settings.ORDER_EVENT_RETENTION_SECONDS = 3 * 3600
    edges = gql(ORDER_EVENTS_QUERY, {"after": old_cursor}, user=customer)["orderEvents"]["edges"]
    assert [edge["node"]["toStatus"] for edge in edges] == ["CONFIRMED"]
