"""orderFulfilled over graphql-transport-ws against the real ASGI app: each
shipment reaches its order's owner and staff, right at commit, and no one else."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.principal import Principal
from commerce.fulfilment.services import fulfilment_add
from commerce.models import Order, OrderStatus
from fmcore.asgi import application
from tests.conftest import access_token

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIPTION = "subscription { orderFulfilled { order { number } fulfilment { carrier trackingNumber } } }"


async def subscribe(user=None) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, _ = await ws.connect()
    assert connected
    payload = {"authorization": f"JWT {await sync_to_async(access_token)(user)}"} if user else {}
    await ws.send_json_to({"type": "connection_init", "payload": payload})
    assert (await ws.receive_json_from(timeout=3))["type"] == "connection_ack"
    await ws.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
    await asyncio.sleep(0.3)  # graphql-transport-ws does not acknowledge `subscribe`
    return ws


@pytest.fixture
def paid_order(customer, place_order) -> Order:
    order = place_order(customer)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    return order


async def test_the_owner_and_staff_hear_of_a_shipment_and_another_customer_does_not(
    paid_order, customer, staff, make_user
):
    owner, shop, stranger = (
        await subscribe(customer),
        await subscribe(staff),
        await subscribe(await sync_to_async(make_user)("other@example.com")),
    )

    await sync_to_async(fulfilment_add)(
        principal=Principal.for_user(staff), order_id=paid_order.pk, carrier="DHL", tracking_number="JD1"
    )

    expected = {"order": {"number": paid_order.number}, "fulfilment": {"carrier": "DHL", "trackingNumber": "JD1"}}
    for ws in (owner, shop):
        message = await ws.receive_json_from(timeout=3)
        assert message["type"] == "next" and message["payload"] == {"data": {"orderFulfilled": expected}}
    assert await stranger.receive_nothing(timeout=0.5)
    for ws in (owner, shop, stranger):
        await ws.disconnect()


async def test_an_anonymous_caller_is_refused(db):
    ws = await subscribe()
    message = await ws.receive_json_from(timeout=3)
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await ws.disconnect()
