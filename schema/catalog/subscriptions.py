import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from channels.db import database_sync_to_async
from django.conf import settings
from graphql import GraphQLError
from strawberry import relay

from commerce.catalog import availability
from commerce.catalog.selectors import visible_products
from commerce.models import Product
from infra.errors import NotFound
from schema.context import Info
from schema.enums import Availability
from schema.ids import node_pk
from schema.process_listeners import group_messages

from .types import ProductAvailabilityEvent


def _visible_product(product_id: int) -> Product | None:
    return visible_products().select_related("category").filter(pk=product_id).first()


@strawberry.type
class CatalogSubscriptions:
    @strawberry.subscription(
        description="Public: the products among `productIds` that move between IN_STOCK, LOW_STOCK and "
        "OUT_OF_STOCK, as stock changes commit. At most one event per product per "
        "`PRODUCT_AVAILABILITY_THROTTLE_SECONDS` per subscription, carrying the latest level. No cursor: "
        "availability is a state; after a reconnect read the products again."
    )
    async def product_availability_changed(
        self, info: Info, product_ids: list[relay.GlobalID]
    ) -> AsyncGenerator[ProductAvailabilityEvent, None]:
        try:
            wanted = {node_pk(product_id, "Product") for product_id in product_ids}
        except NotFound as error:
            raise GraphQLError(error.message, extensions={"code": error.code}) from None
        last_sent: dict[int, float] = {}  # when each product's last event left
        interval = settings.PRODUCT_AVAILABILITY_THROTTLE_SECONDS
        pending: dict[int, dict] = {}  # the latest message per product still held back by the throttle
        async with group_messages(
            info.context.channel_layer, group=availability.GROUP, message_type=availability.MESSAGE_TYPE
        ) as messages:
            next_message = asyncio.ensure_future(anext(messages))
            try:
                while True:
                    now = time.monotonic()
                    due = [last_sent.get(pk, -interval) + interval - now for pk in pending]
                    done, _ = await asyncio.wait({next_message}, timeout=max(0.0, min(due)) if due else None)
                    if done:
                        message = next_message.result()
                        next_message = asyncio.ensure_future(anext(messages))
                        if message["product_id"] in wanted:
                            pending[message["product_id"]] = message
                    now = time.monotonic()
                    for product_id in [pk for pk in pending if now - last_sent.get(pk, -interval) >= interval]:
                        message = pending.pop(product_id)
                        product = await database_sync_to_async(_visible_product)(product_id)
                        if product is None:
                            continue
                        last_sent[product_id] = now
                        yield ProductAvailabilityEvent(
                            product=product,
                            availability=Availability(message["availability"]),
                            changed_at=datetime.fromisoformat(message["changed_at"]),
                        )
            finally:
                next_message.cancel()
