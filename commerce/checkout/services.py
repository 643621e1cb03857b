"""Checkout: a cart becomes an order in one transaction, never overselling."""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from commerce import pricing
from commerce.cache import cart_cache_invalidate, catalog_cache_invalidate, orders_cache_invalidate
from commerce.catalog.selectors import product_is_available
from commerce.errors import EmptyCart, OutOfStock, ProductUnavailable
from commerce.models import (
    Address,
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    Product,
    StockMovement,
)
from commerce.orders import events
from fmcore.errors import InvalidInput, NotFound


def _order_number(order: Order) -> str:
    return f"FM-{order.created_at.year}-{order.pk:06d}"


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


def _check_line(line: CartLine, product: Product) -> None:
    if not product_is_available(product):
        raise ProductUnavailable(f"{product.name} is no longer available. Remove it from your cart.")
    if product.stock_quantity < line.quantity:
        left = f"only {product.stock_quantity} left" if product.stock_quantity else "none left"
        raise OutOfStock(f"Not enough stock of {product.name}: you asked for {line.quantity}, {left}.")


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

    One transaction locks the cart and its products (in primary-key order),
    re-reads prices, checks every line (PRODUCT_UNAVAILABLE, OUT_OF_STOCK
    naming the product), decrements stock, freezes prices and the address
    into the order, records the PENDING step and empties the cart. The
    order-placed actors and the status event leave on commit.
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
    lines = list(cart.lines.order_by("product_id")) if cart else []
    if not lines:
        raise EmptyCart()
    shipping_address = _shipping_address(user, shipping_address_id)

    products = {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",))
        .select_related("category")
        .filter(pk__in=[line.product_id for line in lines])
        .order_by("pk")
    }
    for line in lines:
        _check_line(line, products[line.product_id])

    order_lines = []
    movements = []
    for line in lines:
        product = products[line.product_id]
        Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") - line.quantity)
        product.stock_quantity -= line.quantity
        order_lines.append(
            OrderLine(
                product=product,
                product_name=product.name,
                unit_price=product.price,
                quantity=line.quantity,
                line_total=pricing.line_total(product.price, line.quantity),
            )
        )
        movements.append(
            StockMovement(product=product, actor=user, delta=-line.quantity, quantity_after=product.stock_quantity)
        )
    amounts = pricing.totals(line.line_total for line in order_lines)

    order = Order.objects.create(
        # Placeholder until the primary key gives the real number, in this transaction.
        number=f"tmp-{uuid.uuid4().hex}"[:32],
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
    order.number = _order_number(order)
    order.save(update_fields=["number"])
    for order_line in order_lines:
        order_line.order = order
    OrderLine.objects.bulk_create(order_lines)
    for movement in movements:
        movement.reason = f"Order {order.number}"
    StockMovement.objects.bulk_create(movements)
    change = OrderStatusChange.objects.create(order=order, from_status="", to_status=OrderStatus.PENDING, actor=user)
    CartLine.objects.filter(cart=cart).delete()
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    cart_cache_invalidate(user.pk)
    catalog_cache_invalidate()  # stock figures changed
    orders_cache_invalidate(user.pk)
    events.order_placed(change=change, order=order)
    return order
