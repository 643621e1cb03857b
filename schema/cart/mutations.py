"""The cart and wishlist operations take plain arguments (ids and quantities).

The cart operations serve logged-in users and guests alike: whose cart it is
comes from `Context.cart_owner()` (the user, else the guest of `X-Cart-Token`).
"""

import strawberry
from strawberry import relay

from accounts.authentication import client_ip
from commerce.cart import guests, selectors, services
from commerce.catalog.selectors import images_prefetch
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import IsAuthenticated, IsCustomerOrGuest

from .types import CartPayload, CartResult, GuestCartPayload, GuestCartResult, WishlistPayload, WishlistResult


def _wishlist(user) -> list:
    return list(
        selectors.wishlist_items(user=user)
        .select_related("product__category")
        .prefetch_related(images_prefetch("product__images"))
    )


@strawberry.type
class CartMutations:
    @mutation(
        description="Put a variant in your cart; if it is there already its quantity goes up. Give `variantId`, "
        "or a `productId` with one variant (several: VARIANT_REQUIRED). More than the stock is OUT_OF_STOCK.",
        permissions=(IsCustomerOrGuest(),),
    )
    def add_to_cart(
        self,
        info: Info,
        product_id: relay.GlobalID | None = None,
        quantity: int = 1,
        variant_id: relay.GlobalID | None = None,
    ) -> CartResult:
        cart = services.cart_line_add(
            owner=info.context.cart_owner(),
            product_id=None if product_id is None else node_pk(product_id, "Product"),
            variant_id=None if variant_id is None else node_pk(variant_id, "ProductVariant"),
            quantity=quantity,
        )
        return CartPayload(cart=cart)

    @mutation(description="Set a line's quantity; 0 removes the line.", permissions=(IsCustomerOrGuest(),))
    def update_cart_line(self, info: Info, line_id: relay.GlobalID, quantity: int) -> CartResult:
        cart = services.cart_line_update(
            owner=info.context.cart_owner(), line_id=node_pk(line_id, "CartLine"), quantity=quantity
        )
        return CartPayload(cart=cart)

    @mutation(description="Remove a line from your cart.", permissions=(IsCustomerOrGuest(),))
    def remove_cart_line(self, info: Info, line_id: relay.GlobalID) -> CartResult:
        cart = services.cart_line_remove(owner=info.context.cart_owner(), line_id=node_pk(line_id, "CartLine"))
        return CartPayload(cart=cart)

    @mutation(description="Empty your cart.", permissions=(IsCustomerOrGuest(),))
    def clear_cart(self, info: Info) -> CartResult:
        return CartPayload(cart=services.cart_clear(owner=info.context.cart_owner()))

    @mutation(
        description="Open a cart without an account. Send the `token` as the `X-Cart-Token` header with the cart "
        "operations, `guestCheckout` and the payment of its orders; it is shown only now. A cart untouched for "
        "`GUEST_CART_TTL_DAYS` expires. Throttled per client (RATE_LIMITED)."
    )
    def create_guest_cart(self, info: Info) -> GuestCartResult:
        token, cart = guests.guest_cart_create(client_ip=client_ip(info.context.request))
        return GuestCartPayload(token=token, cart=cart)

    @mutation(
        description="Remember a product in your wishlist; adding it twice is harmless.",
        permissions=(IsAuthenticated(),),
    )
    def add_to_wishlist(self, info: Info, product_id: relay.GlobalID) -> WishlistResult:
        services.wishlist_add(user=info.context.user, product_id=node_pk(product_id, "Product"))
        return WishlistPayload(wishlist=_wishlist(info.context.user))

    @mutation(description="Forget a product from your wishlist.", permissions=(IsAuthenticated(),))
    def remove_from_wishlist(self, info: Info, product_id: relay.GlobalID) -> WishlistResult:
        services.wishlist_remove(user=info.context.user, product_id=node_pk(product_id, "Product"))
        return WishlistPayload(wishlist=_wishlist(info.context.user))
