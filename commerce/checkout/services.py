"""Checkout: a cart becomes an order in one transaction, never overselling.

A signed-in user checks out with `order_checkout`, a guest holding a cart
token with `order_guest_checkout`; both run the same core (`_checkout`):
the same locks, stock rules, idempotency and events. Only who owns the
order (a user, or a guest email and cart) and where the address comes from
differ.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.throttle import throttle_hit
from commerce import pricing
from commerce.addresses.services import AddressData, address_snapshot_validate
from commerce.cache import orders_cache_invalidate
from commerce.cart.guests import CartOwner, Guest, owner_actor, owner_cart_cache_invalidate, owner_carts
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
from infra.errors import InvalidInput, NotFound

from .charges import order_charges


def _existing(owner: CartOwner, idempotency_key: str | None) -> Order | None:
    if not idempotency_key:
        return None
    if isinstance(owner, Guest):
        # Per guest cart, even once the order went to the email's account.
        return Order.objects.filter(guest_cart_id=owner.cart_id, idempotency_key=idempotency_key).first()
    return Order.objects.filter(user=owner, idempotency_key=idempotency_key).first()


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
    shipping_method_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> Order:
    """Turn `user`'s cart into a PENDING order, or return the order already
    placed with the same `idempotency_key` (then nothing changes).

    One transaction locks the cart, then its variants and their products
    (catalog/stock.py's lock order), re-reads prices, checks every line
    (PRODUCT_UNAVAILABLE, OUT_OF_STOCK naming the product and variant),
    decrements the variants' stock, settles the shipping method
    (`shipping_method_id`, else the cart's) and the cart's voucher (see
    `charges.order_charges`), freezes prices, names, SKUs, discount, shipping
    and the address into the order, counts the voucher's use, records the
    PENDING step and empties the cart. The order-placed actors and the status
    event leave on commit.
    """
    return _checkout(
        owner=user,
        payment_method=payment_method,
        shipping_address=lambda: _shipping_address(user, shipping_address_id),
        shipping_method_id=shipping_method_id,
        idempotency_key=idempotency_key,
        note=note,
    )


def order_guest_checkout(
    *,
    guest: Guest,
    email: str,
    shipping_address: AddressData,
    payment_method: str,
    client_ip: str,
    shipping_method_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> Order:
    """Turn a guest's cart into a PENDING order of `email`, shipping to the
    address given (validated like a saved one), exactly as `order_checkout`
    does for a user: same locks, stock rules, idempotency (per guest cart)
    and events; the confirmation email goes to `email`. Throttled per client
    IP and per email (`GUEST_RATE_LIMIT`, RATE_LIMITED beyond it)."""
    email = (email or "").strip()
    throttle_hit(scope="guest-checkout", ip=client_ip, email=email, rate=settings.GUEST_RATE_LIMIT)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput("Enter a valid email address.", code="INVALID_EMAIL", field="email") from exc
    snapshot = address_snapshot_validate(data=shipping_address)
    return _checkout(
        owner=guest,
        payment_method=payment_method,
        shipping_address=lambda: snapshot,
        shipping_method_id=shipping_method_id,
        idempotency_key=idempotency_key,
        note=note,
        email=email,
    )


def _checkout(
    *,
    owner: CartOwner,
    payment_method: str,
    shipping_address: Callable[[], dict | None],
    shipping_method_id: int | None,
    idempotency_key: str | None,
    note: str,
    email: str = "",
) -> Order:
    idempotency_key = (idempotency_key or "").strip() or None
    max_key_length = Order._meta.get_field("idempotency_key").max_length
    assert max_key_length is not None  # declared on the model
    if idempotency_key and len(idempotency_key) > max_key_length:
        raise InvalidInput("The idempotency key is too long.", field="idempotencyKey")
    if payment_method not in PaymentMethod.values:
        raise InvalidInput("Choose a payment method we offer.", field="paymentMethod")
    if existing := _existing(owner, idempotency_key):
        return existing
    try:
        with transaction.atomic():
            return _checkout_locked(
                owner=owner,
                payment_method=payment_method,
                shipping_address=shipping_address,
                shipping_method_id=shipping_method_id,
                idempotency_key=idempotency_key,
                note=note,
                email=email,
            )
    except IntegrityError:
        # A concurrent submission with the same key won the unique constraint.
        if existing := _existing(owner, idempotency_key):
            return existing
        raise


def _checkout_locked(
    *,
    owner: CartOwner,
    payment_method: str,
    shipping_address: Callable[[], dict | None],
    shipping_method_id: int | None,
    idempotency_key: str | None,
    note: str,
    email: str,
) -> Order:
    cart = owner_carts(owner).select_for_update().first()
    # Under the cart lock a concurrent duplicate has either committed or not started.
    if existing := _existing(owner, idempotency_key):
        return existing
    lines = list(CartLine.objects.filter(cart=cart).order_by("variant_id")) if cart else []
    if cart is None or not lines:
        raise EmptyCart()
    address = shipping_address()
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
    user = owner_actor(owner)
    charges = order_charges(
        cart=cart,
        user=user,
        email=email,
        lines=[
            pricing.PricedLine(ol.line_total, line.variant.product.category_id)
            for ol, line in zip(order_lines, lines, strict=True)
        ],
        country=address["country"] if address else None,
        shipping_method_id=shipping_method_id,
    )

    # The database numbers the order from its id (Order.number), returned by the insert.
    order = Order.objects.create(
        user=user,
        email=email,
        guest_cart_id=owner.cart_id if isinstance(owner, Guest) else None,
        status=OrderStatus.PENDING,
        payment_method=payment_method,
        shipping_address=address,
        note=note.strip(),
        idempotency_key=idempotency_key,
        **charges.order_fields(),
    )
    charges.record(order)
    stock_apply(changes=taken, reason=f"Order {order.number}", actor=user)
    for order_line in order_lines:
        order_line.order = order
    OrderLine.objects.bulk_create(order_lines)
    # The answer shows the lines just written: no need to read them back. As
    # prefetch_related leaves it: a queryset of the relation holding its rows.
    lines_written = order.lines.all()
    lines_written._result_cache = order_lines
    lines_written._prefetch_done = True  # type: ignore[attr-defined]
    order._prefetched_objects_cache = {"lines": lines_written}  # type: ignore[attr-defined]
    change = OrderStatusChange.objects.create(order=order, from_status="", to_status=OrderStatus.PENDING, actor=user)
    CartLine.objects.filter(cart=cart).delete()
    # The voucher and shipping method were for this order; the next starts afresh.
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now(), voucher=None, shipping_method=None)
    owner_cart_cache_invalidate(owner)
    if user is not None:
        orders_cache_invalidate(user.pk)
    events.order_placed(change=change, order=order)
    return order
