"""Read-only cart and wishlist queries.

A cart is read with its lines, their products, categories and images in
three queries. Repeated reads are served by the customer answer cache
(schema/customer_cache.py), as plain data under the user's cart version and
the catalog version.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from commerce import pricing
from commerce.catalog.selectors import product_is_available, visible_products
from commerce.models import Cart, CartLine, ProductImage, WishlistItem


@dataclass(frozen=True)
class CartSummary:
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    item_count: int


def _cart_with_lines():
    lines = (
        CartLine.objects.select_related("product__category", "variant")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
        .order_by("added_at", "id")
    )
    return Cart.objects.prefetch_related(Prefetch("lines", queryset=lines))


def cart_load(*, user_id: int) -> Cart | None:
    """The user's cart with everything it shows, straight from the database."""
    cart = _cart_with_lines().filter(user_id=user_id).first()
    for line in cart.lines.all() if cart else ():
        line.variant.product = line.product  # the same row, loaded once
    return cart


def cart_line_unit_price(line: CartLine) -> Decimal:
    """A line is priced at its variant's current price (else the product's): the server prices everything."""
    return line.product.price if line.variant.price is None else line.variant.price


def cart_line_total(line: CartLine) -> Decimal:
    return pricing.line_total(cart_line_unit_price(line), line.quantity)


def cart_summary(cart: Cart) -> CartSummary:
    """Subtotal, tax (`TAX_RATE`, rounded once per cart), total and item count of a loaded cart."""
    lines = list(cart.lines.all())
    totals = pricing.totals(cart_line_total(line) for line in lines)
    return CartSummary(
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        currency=settings.CURRENCY,
        item_count=sum(line.quantity for line in lines),
    )


def cart_line_available(line: CartLine) -> bool:
    """Whether the line's product can still be bought (active, not deleted, enough stock of the variant)."""
    return product_is_available(line.product) and line.variant.stock_quantity >= line.quantity


def wishlist_items(*, user) -> QuerySet[WishlistItem]:
    """The user's wishlist, newest first, without products that are no longer on sale."""
    return WishlistItem.objects.filter(user_id=user.pk, product__in=visible_products()).order_by("-added_at", "-id")
