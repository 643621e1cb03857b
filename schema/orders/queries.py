import strawberry
import strawberry_django
from strawberry import relay
from strawberry_django.optimizer import optimize

from commerce.models import Order
from commerce.orders import selectors
from fmcore.errors import NotFound
from partners.models import AppScope
from schema.connection import Connection
from schema.context import Info
from schema.ids import node_pk
from schema.permissions import IsAuthenticatedOrAppScope

from .types import OrderType


def _one(info: Info, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    queryset = selectors.orders_visible_to(info.context.viewer).filter(pk=order_id)
    return optimize(queryset, info).first()


@strawberry.type
class OrderQueries:
    @strawberry_django.connection(
        Connection[OrderType],
        description="Your orders, newest first (staff and apps with `orders:read`: every order). "
        "Filters `status`, `userEmail`, `createdAfter`, `createdBefore`.",
        extensions=[IsAuthenticatedOrAppScope(AppScope.ORDERS_READ)],
    )
    def orders(self, info: Info) -> list[OrderType]:
        return selectors.orders_visible_to(info.context.viewer).order_by("-created_at", "-id")

    @strawberry_django.field(
        description="One order: yours, or any for staff and apps with `orders:read`; null otherwise."
    )
    def order(self, info: Info, id: relay.GlobalID) -> OrderType | None:
        try:
            order_id = node_pk(id, "Order")
        except NotFound:
            return None
        return _one(info, order_id)

    @strawberry_django.field(description="Your most recent order; null if you have none.")
    def latest_order(self, info: Info) -> OrderType | None:
        return _one(info, selectors.order_latest_id(user=info.context.user))
