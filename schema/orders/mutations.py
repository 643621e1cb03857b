import strawberry
from strawberry import relay

from commerce.orders import policy as orders_policy
from commerce.settlement import services
from schema.context import Info
from schema.enums import OrderStatus
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed, IsAuthenticated

from .types import OrderPayload, OrderResult


@strawberry.type
class OrderMutations:
    @mutation(
        description="Cancel an order: yours while PENDING or CONFIRMED; staff also when PAID (a refund is "
        "requested). The stock goes back to the shelves.",
        permissions=(IsAuthenticated(),),
    )
    def cancel_order(self, info: Info, order_id: relay.GlobalID, reason: str | None = None) -> OrderResult:
        order = services.order_cancel(
            principal=info.context.principal, order_id=node_pk(order_id, "Order"), reason=reason or ""
        )
        return OrderPayload(order=order)

    @mutation(
        description="Move an order to another status (staff, or apps with `orders:write`). Only moves of "
        "the lifecycle are allowed, else INVALID_TRANSITION.",
        permissions=(Allowed(orders_policy.may_manage_orders),),
    )
    def update_order_status(
        self, info: Info, order_id: relay.GlobalID, status: OrderStatus, note: str | None = None
    ) -> OrderResult:
        order = services.order_status_update(
            principal=info.context.principal, order_id=node_pk(order_id, "Order"), status=status.value, note=note or ""
        )
        return OrderPayload(order=order)
