from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from channels.db import database_sync_to_async
from strawberry import relay

from commerce.event_stream import PAYMENT_EVENTS
from commerce.models import PaymentStatusChange
from commerce.payments import events
from commerce.payments.selectors import payment_events_visible
from schema.context import Info
from schema.event_streams import order_stream_scope, replay_then_live

from .types import PaymentStatusEvent


@strawberry.type
class PaymentSubscriptions:
    @strawberry.subscription(
        description="Committed payment status changes (and newly opened payments) in stream order: of one "
        "order's payments when `orderId` is given, else of your orders' (staff and apps with `orders:read`: "
        "every order's). With `after` (an event's `cursor`), first every such event since that one, then "
        "live ones, with no gap and no duplicate. Authenticate in `connection_init`."
    )
    async def payment_status_changed(
        self, info: Info, order_id: relay.GlobalID | None = None, after: str | None = None
    ) -> AsyncGenerator[PaymentStatusEvent, None]:
        scope = await order_stream_scope(info, stream=PAYMENT_EVENTS, order_id=order_id, after=after)
        principal = info.context.principal

        def changes_between(after_sequence: int, up_to: int, limit: int | None) -> list[PaymentStatusChange]:
            return payment_events_visible(
                principal=principal, after=after_sequence, up_to=up_to, order_id=scope.order_id, limit=limit
            )

        # The payment as it is now, as the replay shows it: one row read per live event.
        async def event_from_message(message: dict) -> PaymentStatusEvent | None:
            rows = await database_sync_to_async(changes_between)(message["sequence"] - 1, message["sequence"], 1)
            return PaymentStatusEvent.from_change(rows[0]) if rows else None

        stream = replay_then_live(
            layer=info.context.channel_layer,
            message_type=events.MESSAGE_TYPE,
            group=scope.group(everyone=events.GROUP_ALL, of_user=events.payment_owner_group),
            stream=PAYMENT_EVENTS,
            after=scope.resume_from,
            wanted=scope.wants,
            rows_between=changes_between,
            from_row=PaymentStatusEvent.from_change,
            from_message=event_from_message,
            sees_whole_stream=scope.sees_whole_stream,
        )
        async with aclosing(stream):
            async for event in stream:
                yield event
