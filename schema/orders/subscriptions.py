from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime

import strawberry
from channels.db import database_sync_to_async
from strawberry import relay

from commerce.event_stream import ORDER_EVENTS
from commerce.models import Order, OrderStatusChange
from commerce.orders import events, selectors
from schema.context import Info
from schema.enums import OrderStatus
from schema.event_streams import order_stream_scope, replay_then_live
from schema.shared_results import ShortLived

from .types import OrderStatusEvent


def _order_for_event(order_id: int) -> Order | None:
    return Order.objects.select_related("user").prefetch_related("lines", "history__actor").filter(pk=order_id).first()


# One load per event and process, shared by every subscriber it reaches (a
# hundred staff dashboards cost one set of queries, not a hundred). The key
# carries the change's time, so a reused id (tests, a restored database)
# never matches an old entry.
_event_loads = ShortLived()


async def _order_for_message(message: dict) -> Order | None:
    """The order an event is about, loaded once for all the subscribers of this process."""
    key = (message["change_id"], message["order_id"], message["changed_at"])
    return await _event_loads.get(key, lambda: database_sync_to_async(_order_for_event)(message["order_id"]))


def _event_from_message(message: dict, order: Order) -> OrderStatusEvent:
    return OrderStatusEvent(
        order=order,
        from_status=OrderStatus(message["from_status"]) if message["from_status"] else None,
        to_status=OrderStatus(message["to_status"]),
        changed_at=datetime.fromisoformat(message["changed_at"]),
        cursor=ORDER_EVENTS.cursor_encode(message["sequence"]),
        shared_as=("orderStatusChanged", message["change_id"], message["changed_at"]),
    )


@strawberry.type
class OrderSubscriptions:
    @strawberry.subscription(
        description="Committed status changes (and new orders) in stream order: of one order when `orderId` "
        "is given, else of all your orders (staff and apps with `orders:read`: every order). With `after` "
        "(an event's `cursor`), first every such event since that one, then live ones, with no gap and no "
        "duplicate between the two. Authenticate in `connection_init`."
    )
    async def order_status_changed(
        self, info: Info, order_id: relay.GlobalID | None = None, after: str | None = None
    ) -> AsyncGenerator[OrderStatusEvent, None]:
        scope = await order_stream_scope(info, stream=ORDER_EVENTS, order_id=order_id, after=after)
        principal = info.context.principal

        def changes_between(after_sequence: int, up_to: int, limit: int | None) -> list[OrderStatusChange]:
            return selectors.order_events_visible(
                principal=principal, after=after_sequence, up_to=up_to, order_id=scope.order_id, limit=limit
            )

        async def event_from_message(message: dict) -> OrderStatusEvent | None:
            order = await _order_for_message(message)
            return _event_from_message(message, order) if order is not None else None

        events_stream = replay_then_live(
            layer=info.context.channel_layer,
            message_type=events.MESSAGE_TYPE,
            group=scope.group(everyone=events.GROUP_ALL, of_user=events.order_owner_group),
            stream=ORDER_EVENTS,
            after=scope.resume_from,
            wanted=scope.wants,
            rows_between=changes_between,
            from_row=OrderStatusEvent.from_change,
            from_message=event_from_message,
            sees_whole_stream=scope.sees_whole_stream,
            prepare=_order_for_message,
        )
        async with aclosing(events_stream):
            async for event in events_stream:
                yield event
