from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry import relay

from commerce.event_stream import PAYMENT_EVENTS, order_events_access_check
from commerce.models import PaymentStatusChange
from commerce.orders import selectors as order_selectors
from commerce.payments import events
from commerce.payments.selectors import payment_events_visible
from fmcore.errors import DomainError, NotFound
from partners.models import AppScope
from schema.context import Info
from schema.event_streams import replay_then_live
from schema.ids import node_pk
from schema.permissions import caller_may

from .types import PaymentStatusEvent


def _refuse(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


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
        user = info.context.user
        viewer = info.context.viewer
        try:
            order_events_access_check(viewer=viewer)
            resume_from = await sync_to_async(PAYMENT_EVENTS.cursor_decode)(after) if after is not None else None
        except DomainError as error:
            raise _refuse(error.message, error.code) from None
        sees_all = caller_may(info, AppScope.ORDERS_READ)
        wanted: int | None = None
        if order_id is not None:
            try:
                wanted = node_pk(order_id, "Order")
            except NotFound:
                wanted = None
            visible = wanted is not None and await sync_to_async(order_selectors.order_visible)(
                user=viewer, order_id=wanted
            )
            if not visible:
                raise _refuse("No order with this id.", "NOT_FOUND")

        def wanted_message(message: dict) -> bool:
            return (wanted is None or message["order_id"] == wanted) and (sees_all or message["user_id"] == user.pk)

        def changes_between(after_sequence: int, up_to: int, limit: int | None) -> list[PaymentStatusChange]:
            return payment_events_visible(
                viewer=viewer, after=after_sequence, up_to=up_to, order_id=wanted, limit=limit
            )

        # The payment as it is now, as the replay shows it: one row read per live event.
        async def event_from_message(message: dict) -> PaymentStatusEvent | None:
            rows = await sync_to_async(changes_between)(message["sequence"] - 1, message["sequence"], 1)
            return PaymentStatusEvent.from_change(rows[0]) if rows else None

        stream = replay_then_live(
            consumer=info.context.request,
            message_type=events.MESSAGE_TYPE,
            groups=[events.GROUP_ALL if sees_all else events.user_group(user.pk)],
            stream=PAYMENT_EVENTS,
            after=resume_from,
            wanted=wanted_message,
            rows_between=changes_between,
            from_row=PaymentStatusEvent.from_change,
            from_message=event_from_message,
            sees_whole_stream=sees_all and wanted is None,
        )
        async with aclosing(stream):
            async for event in stream:
                yield event
