import strawberry
from strawberry import relay

from commerce.fulfilment.services import FulfilmentLineData, fulfilment_add
from commerce.orders import policy as orders_policy
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.orders.types import OrderPayload, OrderResult
from schema.permissions import Allowed

from .inputs import FulfilmentInput


@strawberry.type
class FulfilmentMutations:
    @mutation(
        description="Record a shipment of a PAID order (staff, or apps with `orders:write`): carrier, tracking "
        "and which lines (none: everything not shipped yet). The customer gets a 'shipped' email and "
        "notification, partner apps an ORDER_FULFILLED webhook; the order's status does not change.",
        permissions=(Allowed(orders_policy.may_manage_orders),),
    )
    def add_fulfilment(self, info: Info, order_id: relay.GlobalID, input: FulfilmentInput) -> OrderResult:
        lines = [
            FulfilmentLineData(order_line_id=node_pk(line.order_line_id, "OrderLine"), quantity=line.quantity)
            for line in input.lines or []
        ]
        fulfilment = fulfilment_add(
            principal=info.context.principal,
            order_id=node_pk(order_id, "Order"),
            carrier=input.carrier,
            tracking_number=input.tracking_number,
            tracking_url=input.tracking_url,
            lines=lines,
        )
        return OrderPayload(order=fulfilment.order)
