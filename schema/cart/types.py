from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Prefetch
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.cart import selectors
from commerce.models import Cart, CartLine, WishlistItem
from schema.catalog.types import ProductType, ProductVariantType


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
    def unit_price(self) -> Decimal:
        return selectors.cart_line_unit_price(self)

    @strawberry_django.field(description="unitPrice x quantity, rounded to cents.")
    def line_total(self) -> Decimal:
        return selectors.cart_line_total(self)

    @strawberry_django.field(
        description="False when the product is off sale or the variant has too little stock for this line."
    )
    def available(self) -> bool:
        return selectors.cart_line_available(self)


def _summary(cart: Cart) -> selectors.CartSummary:
    """The cart's totals, computed once per loaded cart rather than once per field."""
    summary = cart.__dict__.get("_summary")
    if summary is None:
        summary = cart.__dict__["_summary"] = selectors.cart_summary(cart)
    return summary


@strawberry_django.type(
    Cart, name="Cart", description="Your cart. The server prices it: tax is `TAX_RATE` of the subtotal, rounded once."
)
class CartType(relay.Node):
    """Your cart. The server prices it: tax is `TAX_RATE` of the subtotal, rounded once."""

    updated_at: auto

    @strawberry_django.field(
        description="The lines, oldest first.",
        prefetch_related=[Prefetch("lines", queryset=CartLine.objects.order_by("added_at", "id"))],
    )
    def lines(self, root: Cart) -> list[CartLineType]:
        # The prefetched rows as they are (strawberry-django's relation field
        # would rebuild a filtered queryset over them).
        return list(root.lines.all())

    @strawberry_django.field(description="Sum of the line totals.")
    def subtotal(self) -> Decimal:
        return _summary(self).subtotal

    @strawberry_django.field(description="Tax on the subtotal, rounded half-up to cents.")
    def tax(self) -> Decimal:
        return _summary(self).tax

    @strawberry_django.field(description="subtotal + tax.")
    def total(self) -> Decimal:
        return _summary(self).total

    @strawberry_django.field(description="ISO 4217 code of every amount.")
    def currency(self) -> str:
        return _summary(self).currency

    @strawberry_django.field(description="Number of units in the cart.")
    def item_count(self) -> int:
        return _summary(self).item_count


@strawberry_django.type(WishlistItem, name="WishlistItem", description="A product you want to remember.")
class WishlistItemType(relay.Node):
    """A product you want to remember."""

    product: ProductType
    added_at: auto


@strawberry.type(description="Your cart after the change.")
class CartPayload:
    cart: Cart = strawberry.field(graphql_type=CartType)


CartResult = Annotated[CartPayload | OperationInfo, strawberry.union("CartResult")]


@strawberry.type(description="Your wishlist after the change.")
class WishlistPayload:
    wishlist: list[WishlistItemType]


WishlistResult = Annotated[WishlistPayload | OperationInfo, strawberry.union("WishlistResult")]
