import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry import relay

from commerce.models import Order
from commerce.orders import events, selectors
from fmcore.errors import NotFound
from partners.models import AppScope
from schema.context import Info
from schema.enums import OrderStatus
from schema.ids import node_pk
from schema.permissions import caller_may

from .types import OrderStatusEvent


def _refuse(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _order_for_event(order_id: int) -> Order | None:
    return Order.objects.select_related("user").prefetch_related("lines", "history__actor").filter(pk=order_id).first()


# One load per event and process, shared by every subscriber it reaches (a
# hundred staff dashboards cost one set of queries, not a hundred). Entries
# live a few seconds; the key carries the change's time, so a reused id
# (tests, a restored database) never matches an old entry.
_EVENT_LOAD_TTL = 5.0
_EVENT_LOADS_MAX = 256
_event_loads: OrderedDict[tuple, tuple[float, asyncio.Task]] = OrderedDict()


async def _order_for_message(message: dict) -> Order | None:
    """The order an event is about, loaded once for all the subscribers of this process."""
    loop = asyncio.get_running_loop()
    key = (message["change_id"], message["order_id"], message["changed_at"])
    now = time.monotonic()
    entry = _event_loads.get(key)
    if entry is None or now - entry[0] > _EVENT_LOAD_TTL or entry[1].get_loop() is not loop:
        task = loop.create_task(sync_to_async(_order_for_event)(message["order_id"]))
        _event_loads[key] = entry = (now, task)
        while len(_event_loads) > _EVENT_LOADS_MAX:
            _event_loads.popitem(last=False)
    return await asyncio.shield(entry[1])


@strawberry.type
class OrderSubscriptions:
    @strawberry.subscription(
        description="Committed status changes (and new orders) as they happen: of one order when `orderId` "
        "is given, else of all your orders (staff and apps with `orders:read`: every order). "
        "Authenticate in `connection_init`."
    )
    async def order_status_changed(
        self, info: Info, order_id: relay.GlobalID | None = None
    ) -> AsyncGenerator[OrderStatusEvent, None]:
        user = info.context.user
        app = info.context.app
        sees_all = caller_may(info, AppScope.ORDERS_READ)
        if app is not None and not sees_all:
            raise _refuse("This app lacks the orders:read scope.", "PERMISSION_DENIED")
        if app is None and (not user.is_authenticated or not user.is_active):
            raise _refuse("You must be logged in to follow orders.", "UNAUTHENTICATED")
        wanted: int | None = None
        if order_id is not None:
            try:
                wanted = node_pk(order_id, "Order")
            except NotFound:
                wanted = None
            viewer = info.context.viewer
            visible = wanted is not None and await sync_to_async(selectors.order_visible)(user=viewer, order_id=wanted)
            if not visible:
                raise _refuse("No order with this id.", "NOT_FOUND")
        group = events.GROUP_ALL if sees_all else events.user_group(user.pk)
        consumer = info.context.request
        async with consumer.listen_to_channel(events.MESSAGE_TYPE, groups=[group]) as messages:
            async for message in messages:
                if wanted is not None and message["order_id"] != wanted:
                    continue
                if not sees_all and message["user_id"] != user.pk:
                    continue
                order = await _order_for_message(message)
                if order is None:
                    continue
                yield OrderStatusEvent(
                    order=order,
                    from_status=OrderStatus(message["from_status"]) if message["from_status"] else None,
                    to_status=OrderStatus(message["to_status"]),
                    changed_at=datetime.fromisoformat(message["changed_at"]),
                )
