import strawberry
import strawberry_django
from strawberry import relay
from strawberry_django.optimizer import optimize
from strawberry_django.relay import DjangoListConnection

from commerce.models import Order
from commerce.orders import selectors
from fmcore.errors import NotFound
from schema.context import Info
from schema.ids import node_pk
from schema.permissions import IsAuthenticated

from .types import OrderType


def _one(info: Info, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    queryset = selectors.orders_visible_to(info.context.user).filter(pk=order_id)
    return optimize(queryset, info).first()


@strawberry.type
class OrderQueries:
    @strawberry_django.connection(
        DjangoListConnection[OrderType],
        description="Your orders, newest first (staff: every order). Filters `status`, `userEmail`, "
        "`createdAfter`, `createdBefore`.",
        extensions=[IsAuthenticated()],
    )
    def orders(self, info: Info) -> list[OrderType]:
        return selectors.orders_visible_to(info.context.user).order_by("-created_at", "-id")

    @strawberry_django.field(description="One order: yours, or any for staff; null otherwise.")
    def order(self, info: Info, id: relay.GlobalID) -> OrderType | None:
        try:
            order_id = node_pk(id, "Order")
        except NotFound:
            return None
        return _one(info, order_id)

    @strawberry_django.field(description="Your most recent order; null if you have none.")
    def latest_order(self, info: Info) -> OrderType | None:
        return _one(info, selectors.order_latest_id(user=info.context.user))
