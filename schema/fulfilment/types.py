from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import auto, relay

from commerce.models import Fulfilment, FulfilmentLine, Order

if TYPE_CHECKING:
    from schema.orders.types import OrderLineType, OrderType


@strawberry_django.type(FulfilmentLine, name="FulfilmentLine", description="Units of one order line in a shipment.")
class FulfilmentLineType:
    """Units of one order line in a shipment."""

    order_line: Annotated["OrderLineType", strawberry.lazy("schema.orders.types")] = strawberry_django.field(
        description="The order line shipped."
    )
    quantity: int = strawberry_django.field(description="How many of its units this shipment holds.")


@strawberry_django.type(
    Fulfilment, name="Fulfilment", description="One shipment of a paid order: carrier, tracking and what it holds."
)
class FulfilmentType(relay.Node):
    """One shipment of a paid order: carrier, tracking and what it holds."""

    carrier: auto = strawberry_django.field(description="Who carries it, e.g. DHL.")
    tracking_number: auto = strawberry_django.field(description="The carrier's tracking number.")
    shipped_at: datetime = strawberry_django.field(description="When it was recorded as shipped.")
    lines: list[FulfilmentLineType] = strawberry_django.field(description="What it holds, by order line.")

    @strawberry_django.field(
        description="Where to follow it (http(s)); null when none was given.", only=["tracking_url"]
    )
    def tracking_url(self, root: Fulfilment) -> str | None:
        return root.tracking_url or None


@strawberry.type(description="A shipment just recorded, and the order it belongs to.")
class OrderFulfilledEvent:
    order: Order = strawberry.field(
        graphql_type=Annotated["OrderType", strawberry.lazy("schema.orders.types")],
        description="The order shipped (in part or whole).",
    )
    fulfilment: Fulfilment = strawberry.field(graphql_type=FulfilmentType, description="The shipment.")
