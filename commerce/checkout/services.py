"""Checkout: a cart becomes an order in one transaction, never overselling."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from commerce import pricing
from commerce.cache import cart_cache_invalidate, orders_cache_invalidate
from commerce.catalog.selectors import product_is_available
from commerce.catalog.stock import stock_apply, stock_check, stock_lock
from commerce.errors import EmptyCart, ProductUnavailable
from commerce.models import (
    Address,
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    ProductVariant,
)
from commerce.orders import events
from fmcore.errors import InvalidInput, NotFound


def _existing(user: User, idempotency_key: str | None) -> Order | None:
    if not idempotency_key:
        return None
    return Order.objects.filter(user=user, idempotency_key=idempotency_key).first()


def _shipping_address(user: User, address_id: int | None) -> dict | None:
    if address_id is None:
        default = Address.objects.filter(user=user, is_default=True).first()
        return default.as_snapshot() if default else None
    address = Address.objects.filter(pk=address_id, user=user).first()
    if address is None:
        raise NotFound("No address with this id.", field="shippingAddressId")
    return address.as_snapshot()


def _check_available(variant: ProductVariant) -> None:
    if not product_is_available(variant.product):
        raise ProductUnavailable(f"{variant.product.name} is no longer available. Remove it from your cart.")


def order_checkout(
    *,
    user: User,
    payment_method: str,
    shipping_address_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> Order:
    """Turn `user`'s cart into a PENDING order, or return the order already
    placed with the same `idempotency_key` (then nothing changes).

    One transaction locks the cart, then its variants and their products
    (catalog/stock.py's lock order), re-reads prices, checks every line
    (PRODUCT_UNAVAILABLE, OUT_OF_STOCK naming the product and variant),
    decrements the variants' stock, freezes prices, names, SKUs and the
    address into the order, records the PENDING step and empties the cart.
    The order-placed actors and the status event leave on commit.
    """
    idempotency_key = (idempotency_key or "").strip() or None
    if idempotency_key and len(idempotency_key) > Order._meta.get_field("idempotency_key").max_length:
        raise InvalidInput("The idempotency key is too long.", field="idempotencyKey")
    if payment_method not in PaymentMethod.values:
        raise InvalidInput("Choose a payment method we offer.", field="paymentMethod")
    if existing := _existing(user, idempotency_key):
        return existing
    try:
        with transaction.atomic():
            return _checkout_locked(
                user=user,
                payment_method=payment_method,
                shipping_address_id=shipping_address_id,
                idempotency_key=idempotency_key,
                note=note,
            )
    except IntegrityError:
        # A concurrent submission with the same key won the unique constraint.
        if existing := _existing(user, idempotency_key):
            return existing
        raise


def _checkout_locked(
    *, user: User, payment_method: str, shipping_address_id: int | None, idempotency_key: str | None, note: str
) -> Order:
    cart = Cart.objects.select_for_update().filter(user=user).first()
    # Under the cart lock a concurrent duplicate has either committed or not started.
    if existing := _existing(user, idempotency_key):
        return existing
    lines = list(CartLine.objects.filter(cart=cart).order_by("variant_id")) if cart else []
    if not lines:
        raise EmptyCart()
    shipping_address = _shipping_address(user, shipping_address_id)
    # Locked in the one lock order, so concurrent checkouts and stock writers never deadlock.
    variants = stock_lock(line.variant_id for line in lines)
    for line in lines:
        if line.variant_id not in variants:  # deleted by staff since the lines were read
            raise ProductUnavailable("An item of your cart is no longer available. Refresh your cart.")
        line.variant = variants[line.variant_id]
    taken = [(line.variant, -line.quantity) for line in lines]
    stock_check(taken, check=_check_available)
    order_lines = [
        OrderLine(
            product=line.variant.product,
            product_name=line.variant.product.name,
            variant=line.variant,
            variant_name=line.variant.name,
            sku=line.variant.sku,
            unit_price=line.variant.unit_price,
            quantity=line.quantity,
            line_total=pricing.line_total(line.variant.unit_price, line.quantity),
        )
        for line in lines
    ]
    amounts = pricing.totals(order_line.line_total for order_line in order_lines)

    # The database numbers the order from its id (Order.number), returned by the insert.
    order = Order.objects.create(
        user=user,
        status=OrderStatus.PENDING,
        subtotal=amounts.subtotal,
        tax=amounts.tax,
        total=amounts.total,
        payment_method=payment_method,
        shipping_address=shipping_address,
        note=note.strip(),
        idempotency_key=idempotency_key,
    )
    stock_apply(changes=taken, reason=f"Order {order.number}", actor=user)
    for order_line in order_lines:
        order_line.order = order
    OrderLine.objects.bulk_create(order_lines)
    change = OrderStatusChange.objects.create(order=order, from_status="", to_status=OrderStatus.PENDING, actor=user)
    CartLine.objects.filter(cart=cart).delete()
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    cart_cache_invalidate(user.pk)
    orders_cache_invalidate(user.pk)
    events.order_placed(change=change, order=order)
    return order
