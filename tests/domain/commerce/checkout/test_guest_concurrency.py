"""Guest checkouts racing on PostgreSQL run the checkout's own locks: the last
units go to exactly as many guests as there are units, and a double submit
with one idempotency key makes one order."""

import pytest
from django.db import connection

from commerce.cart.guests import guest_cart_create, guest_for_token
from commerce.cart.services import cart_line_add
from commerce.checkout.services import order_guest_checkout
from commerce.errors import OutOfStock
from commerce.models import Order, Product
from tests.domain.commerce.orders.test_concurrency import race
from tests.factories import ADDRESS_DATA, make_product

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _guest_with(product: Product, quantity: int = 1):
    token, _ = guest_cart_create(client_ip="10.0.0.1")
    guest = guest_for_token(token)
    assert guest is not None
    cart_line_add(owner=guest, product_id=product.pk, quantity=quantity)
    return guest


def _checkout(guest, key: str | None = None) -> Order:
    return order_guest_checkout(
        guest=guest,
        email="gus@example.com",
        shipping_address=ADDRESS_DATA,
        payment_method="DUMMY",
        client_ip="10.0.0.1",
        idempotency_key=key,
    )


def test_ten_guests_three_units_exactly_three_orders(settings):
    settings.GUEST_RATE_LIMIT = "100/m"
    product = make_product("Last Lamp", stock=3)
    guests = [_guest_with(product) for _ in range(10)]

    results = race([lambda g=guest: _checkout(g) for guest in guests])

    assert sum(isinstance(r, Order) for r in results) == 3, results
    assert sum(isinstance(r, OutOfStock) for r in results) == 7, results
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert Order.objects.count() == 3


def test_a_guest_double_submit_with_one_key_makes_one_order():
    product = make_product(stock=10)
    guest = _guest_with(product, quantity=2)

    results = race([lambda: _checkout(guest, "double-click"), lambda: _checkout(guest, "double-click")])

    assert all(isinstance(r, Order) for r in results), results
    assert results[0].pk == results[1].pk
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8
