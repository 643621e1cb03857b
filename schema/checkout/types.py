import strawberry

from schema.orders.types import OrderType


@strawberry.type(description="The order your cart became.")
class CheckoutPayload:
    order: OrderType
