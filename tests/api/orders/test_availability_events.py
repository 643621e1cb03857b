"""productAvailabilityChanged over graphql-transport-ws: public, level changes only, throttled per connection."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from accounts.principal import Principal
from commerce.catalog.options import OptionData
from commerce.catalog.services import product_create, stock_adjust
from commerce.catalog.variants import variant_create
from commerce.orders.status import order_transition
from tests.api.orders.test_subscriptions import Client, connect
from tests.factories import gid

pytestmark = pytest.mark.django_db(transaction=True)

AVAILABILITY = """
subscription($ids: [ID!]!) {
  productAvailabilityChanged(productIds: $ids) { availability changedAt product { name stockQuantity } }
}
"""

adjust = sync_to_async(stock_adjust)


async def subscribe(client: Client, *product_ids: int, sub_id: str = "1") -> None:
    variables = {"ids": [gid("Product", pk) for pk in product_ids]}
    await client.ws.send_json_to(
        {"id": sub_id, "type": "subscribe", "payload": {"query": AVAILABILITY, "variables": variables}}
    )
    await asyncio.sleep(0.3)  # graphql-transport-ws does not acknowledge `subscribe`


async def event(client: Client) -> tuple[str, str, int]:
    message = await client.receive(timeout=10)
    assert message["type"] == "next" and "errors" not in message["payload"], message
    data = message["payload"]["data"]["productAvailabilityChanged"]
    return data["product"]["name"], data["availability"], data["product"]["stockQuantity"]


async def test_anyone_follows_level_changes_of_the_products_they_name(settings, make_product):
    settings.LOW_STOCK_THRESHOLD = 5
    settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS = 0
    tea = await sync_to_async(make_product)("Tea", stock=10)
    mugs = await sync_to_async(make_product)("Mugs", stock=10)
    client = await connect()  # anonymous: availability is public
    await subscribe(client, tea.pk)

    await adjust(principal=Principal.system(), product_id=tea.pk, delta=-2)  # 8: still IN_STOCK
    await adjust(principal=Principal.system(), product_id=mugs.pk, delta=-10)  # not followed
    await adjust(principal=Principal.system(), product_id=tea.pk, delta=-3)  # 5: LOW_STOCK
    assert await event(client) == ("Tea", "LOW_STOCK", 5)
    await adjust(principal=Principal.system(), product_id=tea.pk, delta=-5)
    assert await event(client) == ("Tea", "OUT_OF_STOCK", 0)
    await adjust(principal=Principal.system(), product_id=tea.pk, delta=30)
    assert await event(client) == ("Tea", "IN_STOCK", 30)
    assert await client.nothing_arrives()
    await client.ws.disconnect()


async def test_checkout_and_cancellation_move_availability(settings, customer, make_product, place_order):
    settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS = 0
    coffee = await sync_to_async(make_product)("Coffee", stock=2)
    client = await connect()
    await subscribe(client, coffee.pk)

    order = await sync_to_async(place_order)(customer, product=coffee, quantity=2)
    assert await event(client) == ("Coffee", "OUT_OF_STOCK", 0)
    await sync_to_async(order_transition)(order=order, to="CANCELLED", principal=Principal.for_user(customer))
    assert await event(client) == ("Coffee", "LOW_STOCK", 2)
    await client.ws.disconnect()


async def test_a_subscriber_gets_at_most_one_event_per_product_per_interval_with_the_latest_level(
    settings, make_product
):
    settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS = 2.0
    tea = await sync_to_async(make_product)("Tea", stock=10)
    coffee = await sync_to_async(make_product)("Coffee", stock=10)
    client = await connect()
    await subscribe(client, tea.pk, coffee.pk)

    await adjust(principal=Principal.system(), product_id=tea.pk, delta=-10)
    assert await event(client) == ("Tea", "OUT_OF_STOCK", 0)
    for delta in (3, -3, 20):  # LOW, OUT, IN within the interval
        await adjust(principal=Principal.system(), product_id=tea.pk, delta=delta)
    await adjust(principal=Principal.system(), product_id=coffee.pk, delta=-10)  # another product: its own interval
    assert await event(client) == ("Coffee", "OUT_OF_STOCK", 0)
    assert await event(client) == ("Tea", "IN_STOCK", 20)  # after the interval, the latest level only
    assert await client.nothing_arrives(timeout=2.5)
    await client.ws.disconnect()


async def test_a_connection_runs_at_most_graphql_max_subscriptions_at_once(settings, make_product):
    """With each subscription throttled, the cap on subscriptions bounds what one connection can ask for."""
    settings.GRAPHQL_MAX_SUBSCRIPTIONS = 3
    tea = await sync_to_async(make_product)("Tea", stock=10)
    client = await connect()
    for sub_id in ("1", "2", "3", "4"):
        await subscribe(client, tea.pk, sub_id=sub_id)

    refused = await client.receive(timeout=10)
    assert refused["type"] == "error" and refused["id"] == "4"
    assert refused["payload"][0]["message"] == "Subscription limit reached"
    await client.ws.send_json_to({"id": "1", "type": "complete"})
    await subscribe(client, tea.pk, sub_id="5")  # a slot is free again
    settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS = 0
    await adjust(principal=Principal.system(), product_id=tea.pk, delta=-10)
    received = {(await client.receive(timeout=10))["id"] for _ in range(3)}
    assert received == {"2", "3", "5"}
    await client.ws.disconnect()


async def test_a_product_id_of_another_type_is_refused():
    client = await connect()
    await client.ws.send_json_to(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": AVAILABILITY, "variables": {"ids": [gid("Order", 1)]}},
        }
    )
    assert (await client.refusal())[0] == "NOT_FOUND"
    await client.ws.disconnect()


def _two_sizes(category_id: int) -> tuple[int, dict[str, int]]:
    product = product_create(
        principal=Principal.system(),
        name="Tee", price=Decimal("9.00"), stock_quantity=0, category_id=category_id,
        options=[OptionData(name="Size", values=["S", "M"])],
    )  # fmt: skip
    sizes = {
        size: variant_create(
            principal=Principal.system(),
            product_id=product.pk,
            sku=f"AV-{size}",
            options=[("Size", size)],
            stock_quantity=4,
        ).pk
        for size in ("S", "M")
    }
    return product.pk, sizes


async def test_availability_follows_the_total_over_the_variants(settings, category):
    settings.LOW_STOCK_THRESHOLD = 2
    settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS = 0
    product_id, sizes = await sync_to_async(_two_sizes)(category.pk)
    client = await connect()
    await subscribe(client, product_id)

    await adjust(
        principal=Principal.system(), product_id=product_id, variant_id=sizes["S"], delta=-4
    )  # S sold out, the product has 4
    await adjust(principal=Principal.system(), product_id=product_id, variant_id=sizes["M"], delta=-2)  # 2: LOW_STOCK
    assert await event(client) == ("Tee", "LOW_STOCK", 2)
    await adjust(principal=Principal.system(), product_id=product_id, variant_id=sizes["M"], delta=-2)
    assert await event(client) == ("Tee", "OUT_OF_STOCK", 0)
    assert await client.nothing_arrives()
    await client.ws.disconnect()
