import strawberry
from strawberry import relay

from schema.enums import PaymentMethod


@strawberry.input(description="What checkout needs besides your cart.")
class CheckoutInput:
    payment_method: PaymentMethod
    shipping_address_id: relay.GlobalID | None = strawberry.field(
        default=None, description="One of your addresses; your default address when omitted."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat it when retrying: the same key returns the same order."
    )
    note: str | None = None
