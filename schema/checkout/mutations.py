import strawberry

from commerce.checkout.services import order_checkout
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import IsAuthenticated

from .inputs import CheckoutInput
from .types import CheckoutPayload, CheckoutResult


@strawberry.type
class CheckoutMutations:
    @mutation(
        description="Turn your cart into an order in one step: stock is reserved, prices, the voucher's discount "
        "and shipping are frozen (the voucher re-checked: its error codes) and the cart is emptied. The same "
        "`idempotencyKey` returns the same order.",
        permissions=(IsAuthenticated(),),
    )
    def checkout(self, info: Info, input: CheckoutInput) -> CheckoutResult:
        address_id = node_pk(input.shipping_address_id, "Address") if input.shipping_address_id else None
        method_id = node_pk(input.shipping_method_id, "ShippingMethod") if input.shipping_method_id else None
        order = order_checkout(
            user=info.context.signed_in_user,
            payment_method=input.payment_method.value,
            shipping_address_id=address_id,
            shipping_method_id=method_id,
            idempotency_key=input.idempotency_key,
            note=input.note or "",
        )
        return CheckoutPayload(order=order)
