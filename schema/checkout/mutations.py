import strawberry

from accounts.authentication import client_ip
from commerce.checkout.services import order_checkout, order_guest_checkout
from commerce.errors import InvalidCartToken
from infra.errors import PermissionDenied
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import IsAuthenticated, IsCustomerOrGuest

from .inputs import CheckoutInput, GuestCheckoutInput
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
        order = order_checkout(
            user=info.context.signed_in_user, shipping_address_id=address_id, **input.as_service_arguments()
        )
        return CheckoutPayload(order=order)

    @mutation(
        description="Check out a guest's cart (the `X-Cart-Token` header) without an account: the same stock, "
        "price and idempotency rules as `checkout`, the address given inline, the confirmation mailed to `email`. "
        "Logged-in users use `checkout` (PERMISSION_DENIED here). Throttled per client and email (RATE_LIMITED).",
        permissions=(IsCustomerOrGuest(),),
    )
    def guest_checkout(self, info: Info, input: GuestCheckoutInput) -> CheckoutResult:
        context = info.context
        if context.user.is_authenticated:
            raise PermissionDenied("You are logged in: check out with `checkout`.")
        if context.guest is None:
            raise InvalidCartToken()
        order = order_guest_checkout(
            guest=context.guest,
            email=input.email,
            shipping_address=input.shipping_address.as_data(),
            client_ip=client_ip(context.request),
            **input.as_service_arguments(),
        )
        return CheckoutPayload(order=order)
