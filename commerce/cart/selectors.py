"""Read-only cart and wishlist queries.

A cart is read with its voucher and shipping method, its lines, their
products, categories and images in three queries (four with a voucher: its
categories). Repeated reads are served by the customer answer cache
(schema/customer_cache.py), as plain data under the user's cart version and
the catalog version.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from commerce import pricing
from commerce.cart.guests import CartOwner, owner_carts
from commerce.catalog.selectors import images_prefetch, product_is_available, visible_products
from commerce.models import Cart, CartLine, WishlistItem
from commerce.shipping.selectors import shipping_terms
from commerce.vouchers.selectors import voucher_applicable_terms


@dataclass(frozen=True)
class CartSummary:
    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    item_count: int


def cart_load(*, owner: CartOwner) -> Cart | None:
    """The owner's cart (a user's or a guest's) with everything it shows, straight from the database."""
    lines = (
        CartLine.objects.select_related("product__category", "variant")
        .prefetch_related(images_prefetch("product__images"))
        .order_by("added_at", "id")
    )
    cart = (
        owner_carts(owner)
        .select_related("voucher", "shipping_method")
        .prefetch_related(Prefetch("lines", queryset=lines), "voucher__categories")
        .first()
    )
    for line in cart.lines.all() if cart else ():
        line.variant.product = line.product  # the same row, loaded once
    return cart


def cart_line_unit_price(line: CartLine) -> Decimal:
    """A line is priced at its variant's current price (else the product's): the server prices everything."""
    return line.product.price if line.variant.price is None else line.variant.price


def cart_line_total(line: CartLine) -> Decimal:
    return pricing.line_total(cart_line_unit_price(line), line.quantity)


def cart_priced_lines(cart: Cart) -> list[pricing.PricedLine]:
    return [pricing.PricedLine(cart_line_total(line), line.product.category_id) for line in cart.lines.all()]


def cart_summary(cart: Cart) -> CartSummary:
    """The amounts of a loaded cart by `pricing.quote`, and its item count.

    The voucher counts while it applies (validity window, minimum subtotal;
    the usage limits are checked when applying it and at checkout); the
    chosen shipping method counts whatever the address (checkout checks it).
    """
    priced = cart_priced_lines(cart)
    discount = voucher_applicable_terms(cart.voucher, subtotal=pricing.subtotal(priced), now=timezone.now())
    totals = pricing.quote(priced, discount=discount, shipping=shipping_terms(cart.shipping_method))
    lines = list(cart.lines.all())
    return CartSummary(
        subtotal=totals.subtotal,
        discount=totals.discount,
        shipping=totals.shipping,
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
