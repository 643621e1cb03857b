"""Checkout: a cart becomes an order in one transaction, never overselling."""

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
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

from .charges import order_charges


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
    shipping_method_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> Order:
    """Turn `user`'s cart into a PENDING order, or return the order already
    placed with the same `idempotency_key` (then nothing changes).

    One transaction locks the cart and its products (in primary-key order),
    re-reads prices, checks every line (PRODUCT_UNAVAILABLE, OUT_OF_STOCK
    naming the product), decrements stock, settles the shipping method
    (`shipping_method_id`, else the cart's) and the cart's voucher (see
    `charges.order_charges`), freezes prices, discount, shipping and the
    address into the order, counts the voucher's use, records the PENDING
    step and empties the cart. The order-placed actors and the status event
    leave on commit.
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
                shipping_method_id=shipping_method_id,
                idempotency_key=idempotency_key,
                note=note,
            )
    except IntegrityError:
        # A concurrent submission with the same key won the unique constraint.
        if existing := _existing(user, idempotency_key):
            return existing
        raise


def _checkout_locked(
    *,
    user: User,
    payment_method: str,
    shipping_address_id: int | None,
    shipping_method_id: int | None,
    idempotency_key: str | None,
    note: str,
) -> Order:
    cart = Cart.objects.select_for_update().filter(user=user).first()
    # Under the cart lock a concurrent duplicate has either committed or not started.
    if existing := _existing(user, idempotency_key):
        return existing
    # The cart's lines with their products, locked in product order (as every
    # stock writer locks them), so concurrent checkouts never deadlock.
    lines = (
        list(
            CartLine.objects.select_for_update(of=("product",))
            .select_related("product__category")
            .filter(cart=cart)
            .order_by("product_id")
        )
        if cart
        else []
    )
    if not lines:
        raise EmptyCart()
    shipping_address = _shipping_address(user, shipping_address_id)
    for line in lines:
        _check_line(line, line.product)

    # One set-based decrement for every line; the locks make the checks above hold.
    ordered = Case(*(When(pk=line.product_id, then=Value(line.quantity)) for line in lines))
    products = Product.objects.filter(pk__in=[line.product_id for line in lines])
    products.update(stock_quantity=F("stock_quantity") - ordered)
    order_lines = [
        OrderLine(
            product=line.product,
            product_name=line.product.name,
            unit_price=line.product.price,
            quantity=line.quantity,
            line_total=pricing.line_total(line.product.price, line.quantity),
        )
        for line in lines
    ]
    charges = order_charges(
        cart=cart,
        user=user,
        lines=[pricing.PricedLine(ol.line_total, ol.product.category_id) for ol in order_lines],
        country=shipping_address["country"] if shipping_address else None,
        shipping_method_id=shipping_method_id,
    )

    # The database numbers the order from its id (Order.number), returned by the insert.
    order = Order.objects.create(
        user=user,
        status=OrderStatus.PENDING,
        payment_method=payment_method,
        shipping_address=shipping_address,
        note=note.strip(),
        idempotency_key=idempotency_key,
        **charges.order_fields(),
    )
    charges.record(order)
    for order_line in order_lines:
        order_line.order = order
    OrderLine.objects.bulk_create(order_lines)
    StockMovement.objects.bulk_create(
        StockMovement(
            product=line.product,
            actor=user,
            delta=-line.quantity,
            quantity_after=line.product.stock_quantity - line.quantity,
            reason=f"Order {order.number}",
        )
        for line in lines
    )
    change = OrderStatusChange.objects.create(order=order, from_status="", to_status=OrderStatus.PENDING, actor=user)
    CartLine.objects.filter(cart=cart).delete()
    # The voucher and shipping method were for this order; the next starts afresh.
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now(), voucher=None, shipping_method=None)
    cart_cache_invalidate(user.pk)
    catalog_cache_invalidate()  # stock figures changed
    orders_cache_invalidate(user.pk)
    events.order_placed(change=change, order=order)
    return order
