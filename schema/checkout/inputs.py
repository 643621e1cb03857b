import strawberry
from strawberry import relay

from schema.addresses.inputs import AddressInput
from schema.enums import PaymentMethod


@strawberry.input(description="What checkout needs besides your cart.")
class CheckoutInput:
    payment_method: PaymentMethod
    shipping_address_id: relay.GlobalID | None = strawberry.field(
        default=None, description="One of your addresses; your default address when omitted."
    )
    shipping_method_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="How the order ships; the cart's chosen method when omitted. Required when any method ships "
        "to the address's country (SHIPPING_METHOD_REQUIRED); one that does not is SHIPPING_METHOD_UNAVAILABLE.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat it when retrying: the same key returns the same order."
    )
    note: str | None = None


@strawberry.input(description="What a guest's checkout needs besides the cart of their `X-Cart-Token`.")
class GuestCheckoutInput:
    email: str = strawberry.field(description="Where the order's mails go; its account gets the order on verifying.")
    shipping_address: AddressInput = strawberry.field(
        description="Validated like a saved address (`isDefault` unused)."
    )
    payment_method: PaymentMethod
    shipping_method_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="How the order ships; the cart's chosen method when omitted. Required when any method ships "
        "to the address's country (SHIPPING_METHOD_REQUIRED); one that does not is SHIPPING_METHOD_UNAVAILABLE.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Repeat it when retrying: the same key returns the same order."
    )
    note: str | None = None
