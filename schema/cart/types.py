from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.cart import selectors
from commerce.models import Cart, CartLine, ShippingMethod, WishlistItem
from commerce.shipping.selectors import shipping_country, shipping_methods_for
from schema.catalog.types import ProductType, ProductVariantType
from schema.ids import node_pk
from schema.shipping.types import ShippingMethodType


@strawberry_django.type(
    CartLine,
    name="CartLine",
    description="Some units of one variant in the cart, priced at its current price.",
)
class CartLineType(relay.Node):
    """Some units of one variant in the cart, priced at its current price."""

    product: ProductType
    variant: ProductVariantType = strawberry_django.field(description="The variant (size, colour, ...) chosen.")
    quantity: auto
    added_at: auto

    @strawberry_django.field(description="The variant's current price (its own, else the product's).")
    def unit_price(self, root: CartLine) -> Decimal:
        return selectors.cart_line_unit_price(root)

    @strawberry_django.field(description="unitPrice x quantity, rounded to cents.")
    def line_total(self, root: CartLine) -> Decimal:
        return selectors.cart_line_total(root)

    @strawberry_django.field(
        description="False when the product is off sale or the variant has too little stock for this line."
    )
    def available(self, root: CartLine) -> bool:
        return selectors.cart_line_available(root)


def _summary(cart: Cart) -> selectors.CartSummary:
    """The cart's totals, computed once per loaded cart rather than once per field."""
    summary = cart.__dict__.get("_summary")
    if summary is None:
        summary = cart.__dict__["_summary"] = selectors.cart_summary(cart)
    return summary


CART_DESCRIPTION = (
    "Your cart. The server prices it: total = subtotal - discount + shipping + tax; tax is `TAX_RATE` of "
    "subtotal - discount (and of shipping when `TAX_SHIPPING` is on), rounded once."
)


@strawberry_django.type(Cart, name="Cart", description=CART_DESCRIPTION)
class CartType(relay.Node):
    """Your cart, priced by the server (total = subtotal - discount + shipping + tax)."""

    updated_at: auto

    @strawberry_django.field(
        description="The lines, oldest first.",
        graphql_type=list[CartLineType],
        prefetch_related=[Prefetch("lines", queryset=CartLine.objects.order_by("added_at", "id"))],
    )
    def lines(self, root: Cart) -> list[CartLine]:
        # The prefetched rows as they are (strawberry-django's relation field
        # would rebuild a filtered queryset over them).
        return list(root.lines.all())

    @strawberry_django.field(description="Sum of the line totals.")
    def subtotal(self, root: Cart) -> Decimal:
        return _summary(root).subtotal

    @strawberry_django.field(description="The applied voucher's code; null when none is applied.")
    def voucher_code(self, root: Cart) -> str | None:
        return root.voucher.code if root.voucher else None

    @strawberry_django.field(
        description="What the voucher takes off the eligible lines; 0 while it does not apply (not yet or no "
        "longer valid, subtotal below its minimum). Its usage limits are checked when applied and at checkout."
    )
    def discount(self, root: Cart) -> Decimal:
        return _summary(root).discount

    @strawberry_django.field(
        graphql_type=ShippingMethodType | None, description="The chosen shipping method; null until one is chosen."
    )
    def shipping_method(self, root: Cart) -> ShippingMethod | None:
        return root.shipping_method

    @strawberry_django.field(
        description="The chosen method's price: 0 once the discounted subtotal reaches its `freeAbove`, "
        "and 0 with no method chosen."
    )
    def shipping(self, root: Cart) -> Decimal:
        return _summary(root).shipping

    @strawberry_django.field(
        graphql_type=list[ShippingMethodType],
        description="The shipping methods for an address: `country` (an ISO code, e.g. for a guest), else "
        "`addressId` (one of yours), else your default address; with none, the methods that ship to every "
        "country. Checkout needs one of them when there are any.",
    )
    def available_shipping_methods(
        self, root: Cart, address_id: relay.GlobalID | None = None, country: str | None = None
    ) -> list[ShippingMethod]:
        if country is None and root.user_id is not None:
            address_pk = node_pk(address_id, "Address") if address_id is not None else None
            country = shipping_country(user_id=root.user_id, address_id=address_pk)
        return shipping_methods_for(country.strip().upper() if country else None)

    @strawberry_django.field(
        description="Tax on subtotal - discount, and on shipping when `TAX_SHIPPING` is on; rounded half-up once."
    )
    def tax(self, root: Cart) -> Decimal:
        return _summary(root).tax

    @strawberry_django.field(description="subtotal - discount + shipping + tax; never negative.")
    def total(self, root: Cart) -> Decimal:
        return _summary(root).total

    @strawberry_django.field(description="ISO 4217 code of every amount.")
    def currency(self, root: Cart) -> str:
        return _summary(root).currency

    @strawberry_django.field(description="Number of units in the cart.")
    def item_count(self, root: Cart) -> int:
        return _summary(root).item_count


@strawberry_django.type(WishlistItem, name="WishlistItem", description="A product you want to remember.")
class WishlistItemType(relay.Node):
    """A product you want to remember."""

    product: ProductType
    added_at: auto


@strawberry.type(description="Your cart after the change.")
class CartPayload:
    cart: Cart = strawberry.field(graphql_type=CartType)


CartResult = Annotated[CartPayload | OperationInfo, strawberry.union("CartResult")]


@strawberry.type(description="A new guest cart and the token that opens it.")
class GuestCartPayload:
    token: str = strawberry.field(
        description="Send it as the `X-Cart-Token` header; only its hash is stored, so keep it: it is not shown again."
    )
    cart: Cart = strawberry.field(graphql_type=CartType)


GuestCartResult = Annotated[GuestCartPayload | OperationInfo, strawberry.union("GuestCartResult")]


@strawberry.type(description="Your wishlist after the change.")
class WishlistPayload:
    wishlist: list[WishlistItemType]


WishlistResult = Annotated[WishlistPayload | OperationInfo, strawberry.union("WishlistResult")]
