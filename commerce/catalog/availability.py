"""How available a product is to storefronts (in stock, low stock, out of
stock), and the live announcement when a stock change moves a product from
one level to another. Published once committed to the channel layer (group
`catalog.availability`, message type `product.availability`), which feeds the
public `productAvailabilityChanged` subscription. Availability is a state, not
a history: there is no cursor, a reconnecting storefront reads the products."""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "product.availability"
GROUP = "catalog.availability"


class Availability(models.TextChoices):
    IN_STOCK = "IN_STOCK"
    LOW_STOCK = "LOW_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"


def availability_of(stock_quantity: int) -> Availability:
    """The level of a stock figure; LOW_STOCK at or below `LOW_STOCK_THRESHOLD` units."""
    if stock_quantity <= 0:
        return Availability.OUT_OF_STOCK
    if stock_quantity <= settings.LOW_STOCK_THRESHOLD:
        return Availability.LOW_STOCK
    return Availability.IN_STOCK


def _publish(messages: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send() -> None:
        for message in messages:
            await layer.group_send(GROUP, message)

    try:
        async_to_sync(send)()
    except Exception:
        # The stock change is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish product availability")


def stock_changed(changes: Iterable[tuple[int, int, int]]) -> None:
    """In the stock-changing transaction: for each `(product_id, quantity_before,
    quantity_after)` that changes the product's level, announce it once committed."""
    now = timezone.now().isoformat()
    messages = [
        {
            "type": MESSAGE_TYPE,
            "product_id": product_id,
            "availability": availability_of(after).value,
            "stock_quantity": after,
            "changed_at": now,
        }
        for product_id, before, after in changes
        if availability_of(before) != availability_of(after)
    ]
    if messages:
        transaction.on_commit(lambda: _publish(messages))
