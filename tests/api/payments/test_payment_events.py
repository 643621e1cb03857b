"""paymentStatusChanged over graphql-transport-ws: live, resumed from a cursor, and scoped to who may see the order."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from accounts.principal import Principal
from commerce.event_stream import ORDER_EVENTS
from commerce.models import PaymentMethod
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund
from partners import services as partners
from partners.models import AppScope
from tests.api.orders.test_subscriptions import Client, connect
from tests.factories import gid

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENTS = """
subscription($id: ID, $after: String) {
  paymentStatusChanged(orderId: $id, after: $after) {
    cursor fromStatus toStatus payment { status amount }
  }
}
"""


async def subscribe(client: Client, *, after: str | None = None, order_id: str | None = None) -> None:
    variables = {"after": after, "id": order_id}
    await client.ws.send_json_to(
        {"id": "1", "type": "subscribe", "payload": {"query": PAYMENTS, "variables": variables}}
    )
    await asyncio.sleep(0.3)  # graphql-transport-ws does not acknowledge `subscribe`


async def event(client: Client) -> dict:
    message = await client.receive(timeout=10)
    assert message["type"] == "next" and "errors" not in message["payload"], message
    return message["payload"]["data"]["paymentStatusChanged"]


create = sync_to_async(lambda order: payment_create(order=order, method=PaymentMethod.DUMMY))


async def test_a_resumed_payment_subscriber_gets_what_it_missed_then_live_events(
    dummy_settings, customer, make_user, make_order
):
    order = await sync_to_async(make_order)("20.00")
    client = await connect(customer)
    await subscribe(client)
    payment = await create(order)
    opened = await event(client)
    assert (opened["fromStatus"], opened["toStatus"]) == (None, "PENDING")
    await client.ws.disconnect()

    payment = await sync_to_async(payment_confirm)(payment=payment)
    other = await sync_to_async(make_user)()
    await create(await sync_to_async(make_order)("5.00", user=other))  # not theirs
    await sync_to_async(payment_refund)(principal=Principal.system(), payment=payment)

    client = await connect(customer)
    await subscribe(client, after=opened["cursor"])
    missed = [await event(client), await event(client)]
    assert [(e["fromStatus"], e["toStatus"]) for e in missed] == [("PENDING", "SUCCEEDED"), ("SUCCEEDED", "REFUNDED")]
    assert await client.nothing_arrives()

    await create(await sync_to_async(make_order)("7.00"))
    live = await event(client)
    assert (live["toStatus"], live["payment"]["amount"]) == ("PENDING", "7.00")
    assert await client.nothing_arrives()
    await client.ws.disconnect()


async def test_payment_events_reach_the_owner_staff_and_order_reading_apps_only(
    dummy_settings, customer, staff, make_user, make_order
):
    order = await sync_to_async(make_order)("20.00")
    _, reader = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ]
    )
    _, catalog_app = await sync_to_async(partners.app_create)(
        principal=Principal.system(), name="Catalog", scopes=[AppScope.CATALOG_WRITE]
    )
    intruder = await sync_to_async(make_user)()

    owner, staff_client, app_client, other = (
        await connect(customer),
        await connect(staff),
        await connect(app_token=reader),
        await connect(intruder),
    )
    await subscribe(owner, order_id=gid("Order", order.pk))
    await subscribe(staff_client)
    await subscribe(app_client)
    await subscribe(other)

    await create(order)
    for client in (owner, staff_client, app_client):
        assert (await event(client))["toStatus"] == "PENDING"
    assert await other.nothing_arrives()

    refused = await connect(app_token=catalog_app)
    await subscribe(refused)
    assert (await refused.refusal())[0] == "PERMISSION_DENIED"
    peeking = await connect(intruder)
    await subscribe(peeking, order_id=gid("Order", order.pk))
    assert (await peeking.refusal())[0] == "NOT_FOUND"
    anonymous = await connect()
    await subscribe(anonymous)
    assert (await anonymous.refusal())[0] == "UNAUTHENTICATED"
    for client in (owner, staff_client, app_client, other, refused, peeking, anonymous):
        await client.ws.disconnect()


async def test_an_order_cursor_is_not_a_payment_cursor(customer):
    client = await connect(customer)
    await subscribe(client, after=ORDER_EVENTS.cursor_encode(0))
    assert (await client.refusal())[0] == "INVALID_CURSOR"
    await client.ws.disconnect()
