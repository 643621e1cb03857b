from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.models import ShippingMethod


@strawberry_django.type(ShippingMethod, name="ShippingMethod", description="A way to ship an order, at a flat price.")
class ShippingMethodType(relay.Node):
    """A way to ship an order, at a flat price."""

    name: auto
    price: Decimal = strawberry_django.field(description="The flat price, before `freeAbove`.")
    free_above: Decimal | None = strawberry_django.field(
        description="Free once the discounted subtotal reaches this; null: never free."
    )

    @strawberry_django.field(description="ISO 3166-1 alpha-2 codes it ships to; empty: every country.")
    def countries(self, root: ShippingMethod) -> list[str]:
        return list(root.countries)


@strawberry.type(description="The shipping method after the change.")
class ShippingMethodPayload:
    shipping_method: ShippingMethod = strawberry.field(graphql_type=ShippingMethodType)


ShippingMethodResult = Annotated[ShippingMethodPayload | OperationInfo, strawberry.union("ShippingMethodResult")]
