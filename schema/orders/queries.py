from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry import relay
from strawberry_django.optimizer import optimize

from commerce.event_stream import ORDER_EVENTS
from commerce.models import Order
from commerce.order_visibility import may_list_orders, order_events_access_check
from commerce.orders import selectors
from infra.errors import InvalidInput, NotFound
from schema.connection import Connection
from schema.context import Info
from schema.ids import node_pk
from schema.permissions import Allowed

from .types import OrderEventConnection, OrderEventEdge, OrderStatusEvent, OrderType

ORDER_EVENTS_PAGE_MAX = 100


def _one(info: Info, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    queryset = selectors.orders_visible_to(info.context.principal).filter(pk=order_id)
    return optimize(queryset, info).first()


@strawberry.type
class OrderQueries:
    @strawberry_django.connection(
        Connection[OrderType],
        description="Your orders, newest first (a guest's with `X-Cart-Token`; staff and apps with `orders:read`: "
        "every order). "
        "Filters `status`, `userEmail`, `createdAfter`, `createdBefore`.",
        extensions=[Allowed(may_list_orders)],
    )
    def orders(self, info: Info) -> Iterable[Order]:
        return selectors.orders_visible_to(info.context.principal).order_by("-created_at", "-id")

    @strawberry_django.field(
        graphql_type=OrderType | None,
        description="One order: yours (a guest's with `X-Cart-Token`), or any for staff and apps with "
        "`orders:read`; null otherwise.",
    )
    def order(self, info: Info, id: relay.GlobalID) -> Order | None:
        try:
            order_id = node_pk(id, "Order")
        except NotFound:
            return None
        return _one(info, order_id)

    @strawberry_django.field(
        graphql_type=OrderType | None, description="Your most recent order; null if you have none."
    )
    def latest_order(self, info: Info) -> Order | None:
        return _one(info, selectors.order_latest_id(principal=info.context.principal))

    @strawberry_django.field(
        description="The order events you may see (your orders; staff and apps with `orders:read`: every "
        "order), oldest first, after the event whose `cursor` is `after` (default: from the oldest "
        f"kept). The events `orderStatusChanged` delivers, for polling and catch-up. `first`: at most "
        f"{ORDER_EVENTS_PAGE_MAX}, default 50.",
    )
    def order_events(
        self, info: Info, after: str | None = None, first: int | None = 50, order_id: relay.GlobalID | None = None
    ) -> OrderEventConnection:
        if first is None or not 0 <= first <= ORDER_EVENTS_PAGE_MAX:
            raise InvalidInput(f"`first` must be between 0 and {ORDER_EVENTS_PAGE_MAX}.", code="INVALID_PAGINATION")
        principal = info.context.principal
        if principal.app is not None:
            order_events_access_check(principal=principal)
        # Anonymous callers get an empty page, as from `orders`.
        wanted = node_pk(order_id, "Order") if order_id is not None else None
        after_sequence = ORDER_EVENTS.cursor_decode(after) if after is not None else 0
        changes = selectors.order_events_visible(
            principal=principal, after=after_sequence, order_id=wanted, limit=first + 1
        )
        events = [OrderStatusEvent.from_change(change) for change in changes]
        edges = [OrderEventEdge(cursor=event.cursor, node=event) for event in events]
        page = edges[:first]
        return OrderEventConnection(
            count=lambda: selectors.order_events_visible_count(
                principal=principal, after=after_sequence, order_id=wanted
            ),
            edges=page,
            page_info=relay.PageInfo(
                has_next_page=len(edges) > first,
                has_previous_page=after is not None,
                start_cursor=page[0].cursor if page else None,
                end_cursor=page[-1].cursor if page else after,
            ),
        )
