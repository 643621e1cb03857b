import strawberry
from strawberry import relay

from commerce.vouchers import policy as vouchers_policy
from commerce.vouchers import services
from schema.accounts.types import OkPayload, OkResult
from schema.cart.types import CartPayload, CartResult
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed, IsCustomerOrGuest

from .inputs import VoucherInput, VoucherUpdateInput
from .types import VoucherPayload, VoucherResult


@strawberry.type
class VoucherMutations:
    @mutation(
        description="Create a voucher (staff). Bad values are INVALID_INPUT naming the field; a taken code "
        "ALREADY_EXISTS.",
        permissions=(Allowed(vouchers_policy.may_manage_vouchers),),
    )
    def create_voucher(self, info: Info, input: VoucherInput) -> VoucherResult:
        return VoucherPayload(
            voucher=services.voucher_create(principal=info.context.principal, changes=input.as_changes())
        )

    @mutation(
        description="Change a voucher (staff); omitted fields stay.",
        permissions=(Allowed(vouchers_policy.may_manage_vouchers),),
    )
    def update_voucher(self, info: Info, id: relay.GlobalID, input: VoucherUpdateInput) -> VoucherResult:
        voucher = services.voucher_update(
            principal=info.context.principal, voucher_id=node_pk(id, "Voucher"), changes=input.as_changes()
        )
        return VoucherPayload(voucher=voucher)

    @mutation(
        description="Delete a voucher (staff): carts drop it, placed orders keep their code and discount.",
        permissions=(Allowed(vouchers_policy.may_manage_vouchers),),
    )
    def delete_voucher(self, info: Info, id: relay.GlobalID) -> OkResult:
        services.voucher_delete(principal=info.context.principal, voucher_id=node_pk(id, "Voucher"))
        return OkPayload()

    @mutation(
        description="Apply a voucher code (any case) to your cart, replacing any other: VOUCHER_INVALID, "
        "VOUCHER_EXPIRED, VOUCHER_USED_UP or VOUCHER_MIN_SUBTOTAL when it does not apply.",
        permissions=(IsCustomerOrGuest(),),
    )
    def apply_voucher(self, info: Info, code: str) -> CartResult:
        return CartPayload(cart=services.cart_voucher_apply(owner=info.context.cart_owner(), code=code))

    @mutation(description="Take the voucher off your cart.", permissions=(IsCustomerOrGuest(),))
    def remove_voucher(self, info: Info) -> CartResult:
        return CartPayload(cart=services.cart_voucher_remove(owner=info.context.cart_owner()))
