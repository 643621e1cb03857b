import strawberry
from strawberry import relay

from commerce.shipping import policy as shipping_policy
from commerce.shipping import services
from schema.accounts.types import OkPayload, OkResult
from schema.cart.types import CartPayload, CartResult
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed, IsCustomerOrGuest

from .inputs import ShippingMethodInput, ShippingMethodUpdateInput
from .types import ShippingMethodPayload, ShippingMethodResult


@strawberry.type
class ShippingMutations:
    @mutation(
        description="Create a shipping method (staff); a taken name is ALREADY_EXISTS, a bad country INVALID_COUNTRY.",
        permissions=(Allowed(shipping_policy.may_manage_shipping),),
    )
    def create_shipping_method(self, info: Info, input: ShippingMethodInput) -> ShippingMethodResult:
        return ShippingMethodPayload(
            shipping_method=services.shipping_method_create(
                principal=info.context.principal, changes=input.as_changes()
            )
        )

    @mutation(
        description="Change a shipping method (staff); omitted fields stay.",
        permissions=(Allowed(shipping_policy.may_manage_shipping),),
    )
    def update_shipping_method(
        self, info: Info, id: relay.GlobalID, input: ShippingMethodUpdateInput
    ) -> ShippingMethodResult:
        method = services.shipping_method_update(
            principal=info.context.principal,
            shipping_method_id=node_pk(id, "ShippingMethod"),
            changes=input.as_changes(),
        )
        return ShippingMethodPayload(shipping_method=method)

    @mutation(
        description="Delete a shipping method (staff): carts that chose it choose again; orders keep theirs.",
        permissions=(Allowed(shipping_policy.may_manage_shipping),),
    )
    def delete_shipping_method(self, info: Info, id: relay.GlobalID) -> OkResult:
        services.shipping_method_delete(
            principal=info.context.principal, shipping_method_id=node_pk(id, "ShippingMethod")
        )
        return OkPayload()

    @mutation(
        description="Choose how your cart ships; checkout checks that it ships to the address "
        "(SHIPPING_METHOD_UNAVAILABLE).",
        permissions=(IsCustomerOrGuest(),),
    )
    def set_cart_shipping_method(self, info: Info, shipping_method_id: relay.GlobalID) -> CartResult:
        cart = services.cart_shipping_method_set(
            owner=info.context.cart_owner(), shipping_method_id=node_pk(shipping_method_id, "ShippingMethod")
        )
        return CartPayload(cart=cart)
