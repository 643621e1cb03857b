from typing import Any

import strawberry
from strawberry import relay

from schema.addresses.inputs import AddressInput
from schema.enums import PaymentMethod
from schema.ids import node_pk


@strawberry.input
class CheckoutChoices:
    """The fields `CheckoutInput` and `GuestCheckoutInput` share (not a schema type of its own);
    `as_service_arguments` hands them to either checkout service."""

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

    def as_service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `order_checkout` and `order_guest_checkout` these fields give."""
        return {
            "payment_method": self.payment_method.value,
            "shipping_method_id": node_pk(self.shipping_method_id, "ShippingMethod")
            if self.shipping_method_id
            else None,
            "idempotency_key": self.idempotency_key,
            "note": self.note or "",
        }


@strawberry.input(description="What checkout needs besides your cart.")
class CheckoutInput(CheckoutChoices):
    shipping_address_id: relay.GlobalID | None = strawberry.field(
        default=None, description="One of your addresses; your default address when omitted."
    )


@strawberry.input(description="What a guest's checkout needs besides the cart of their `X-Cart-Token`.")
class GuestCheckoutInput(CheckoutChoices):
    email: str = strawberry.field(description="Where the order's mails go; its account gets the order on verifying.")
    shipping_address: AddressInput = strawberry.field(
        description="Validated like a saved address (`isDefault` unused)."
    )
