"""A checkout costs the same number of SQL statements for any number of cart
lines: one locked read of the products and one of the variants, one set-based
stock update per table, one insert per table (the database numbers the order itself).

Counts include authenticating the token, the order-placed event (written to
the outbox in the transaction) and its dispatch after commit: the two
notification messages it queues in one insert, marked sent in one update after that.
"""

from decimal import Decimal

import pytest
from django.db import connection

from bench import operations
from commerce.models import Cart, CartLine, Order, Product, ShippingMethod, Voucher, VoucherUse
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

# token (2); savepoint; cart locked; lines; default address; products locked, then
# their variants (catalog/stock.py's lock order); the shipping methods; order; stock
# update of the variants and of the products' totals; stock movements; lines, PENDING
# step; cart emptied, touched; the OrderPlaced event; the event's sequence (one update
# taking MAX + 1; on PostgreSQL first its advisory lock); release (the answer's lines
# are the ones written, not read back); after commit: the subscription push reads the
# sequence; the dispatch (a savepoint here, a transaction outside tests) claims the
# event, queues the 2 notification messages in one insert, reads the webhooks wanting
# ORDER_CREATED, releases; the 2 messages marked sent in one update.
# (26 before variants and shipping: one locked read of lines with products, one stock
# update, and a read of the products' stock for the availability announcement.)
CHECKOUT_STATEMENTS = 27
# With a voucher limited in uses: it locked, its uses counted, its categories, its use recorded.
VOUCHER_STATEMENTS = 4


@pytest.mark.parametrize("lines", [1, 10])
def test_checkout_statements_do_not_grow_with_the_cart(gql, customer, django_assert_num_queries, lines):
    category = make_category()
    products = [make_product(category=category, stock=5) for _ in range(lines)]
    cart = Cart.objects.create(user=customer)
    CartLine.objects.bulk_create(
        CartLine(cart=cart, product=product, variant=product.variants.get(), quantity=2) for product in products
    )

    with django_assert_num_queries(CHECKOUT_STATEMENTS + (connection.vendor == "postgresql")):
        data = gql(operations.CHECKOUT, {"input": {"paymentMethod": "COD"}}, user=customer)

    order = data["checkout"]["order"]
    db_order = Order.objects.get()
    assert order["number"] == f"FM-{db_order.created_at.year}-{db_order.pk:06d}"
    assert [line["quantity"] for line in order["lines"]] == [2] * lines
    assert set(Product.objects.values_list("stock_quantity", flat=True)) == {3}


@pytest.mark.parametrize("lines", [1, 10])
def test_a_voucher_and_a_shipping_method_add_a_fixed_number(gql, customer, django_assert_num_queries, lines):
    category = make_category()
    products = [make_product(category=category, stock=5) for _ in range(lines)]
    voucher = Voucher.objects.create(code="TEN", kind="PERCENTAGE", value=10, usage_limit=5)
    voucher.categories.set([category])
    method = ShippingMethod.objects.create(name="Standard", price="4.90")
    cart = Cart.objects.create(user=customer, voucher=voucher, shipping_method=method)
    CartLine.objects.bulk_create(
        CartLine(cart=cart, product=product, variant=product.variants.get(), quantity=2) for product in products
    )

    with django_assert_num_queries(CHECKOUT_STATEMENTS + VOUCHER_STATEMENTS + (connection.vendor == "postgresql")):
        gql(operations.CHECKOUT, {"input": {"paymentMethod": "COD"}}, user=customer)

    order = Order.objects.get()
    assert (order.voucher_code, order.shipping_method_name) == ("TEN", "Standard")
    assert order.discount == Decimal("2.00") * lines
    assert VoucherUse.objects.get().order == order
