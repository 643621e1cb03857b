"""The last use of a voucher, raced for on PostgreSQL by threads with their own connections."""

import pytest
from django.db import connection

from commerce.checkout.services import order_checkout
from commerce.errors import VoucherUsedUp
from commerce.models import Cart, Order, VoucherUse
from tests.domain.commerce.orders.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_twenty_buyers_racing_for_the_last_use_make_exactly_one_order_with_it(
    make_user, make_product, fill_cart, make_voucher
):
    voucher = make_voucher("LASTONE", usage_limit=3)
    used_before = [make_user() for _ in range(2)]
    for buyer in used_before:
        fill_cart(buyer, (make_product(stock=5), 1))
        Cart.objects.filter(user=buyer).update(voucher=voucher)
        order_checkout(user=buyer, payment_method="DUMMY")
    buyers = [make_user() for _ in range(20)]
    for buyer in buyers:
        # A product each, so that only the voucher's row lock serialises them.
        fill_cart(buyer, (make_product(stock=5), 1))
    Cart.objects.filter(user__in=buyers).update(voucher=voucher)

    results = race([lambda b=buyer: order_checkout(user=b, payment_method="DUMMY") for buyer in buyers])

    orders = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, VoucherUsedUp)]
    assert len(orders) == 1 and len(losers) == 19, results
    assert orders[0].voucher_code == "LASTONE"
    assert VoucherUse.objects.filter(voucher=voucher).count() == 3
    assert Order.objects.filter(voucher_code="LASTONE").count() == 3
