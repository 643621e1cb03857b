from collections.abc import AsyncGenerator

import strawberry
from channels.db import database_sync_to_async

from commerce.event_stream import ORDER_EVENTS
from commerce.fulfilment import events
from commerce.models import Fulfilment
from schema.context import Info
from schema.event_streams import order_stream_scope
from schema.process_listeners import group_messages

from .types import OrderFulfilledEvent


def fulfilment_for_event(fulfilment_id: int) -> Fulfilment | None:
    return Fulfilment.objects.select_related("order__user").filter(pk=fulfilment_id).first()


@strawberry.type
class FulfilmentSubscriptions:
    @strawberry.subscription(
        description="Shipments as they are recorded (`addFulfilment`): of your orders (staff and apps with "
        "`orders:read`: every order). Live only, no cursor: after a reconnect read `Order.fulfilments`. "
        "Authenticate in `connection_init`."
    )
    async def order_fulfilled(self, info: Info) -> AsyncGenerator[OrderFulfilledEvent, None]:
        scope = await order_stream_scope(info, stream=ORDER_EVENTS, order_id=None, after=None)
        group = scope.group(everyone=events.GROUP_ALL, of_user=events.fulfilment_owner_group)
        async with group_messages(
            info.context.channel_layer, group=group, message_type=events.MESSAGE_TYPE
        ) as messages:
            async for message in messages:
                if not scope.wants(message):
                    continue
                fulfilment = await database_sync_to_async(fulfilment_for_event)(message["fulfilment_id"])
                if fulfilment is not None:
                    yield OrderFulfilledEvent(order=fulfilment.order, fulfilment=fulfilment)
