"""Real races on PostgreSQL: threads with their own connections and row locks."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from commerce.checkout.services import order_checkout
from commerce.errors import InvalidTransition, OutOfStock
from commerce.models import Order, Product, StockMovement
from commerce.orders.status import order_transition

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_buyers_five_units_exactly_five_orders(make_user, make_product, fill_cart):
    product = make_product("Last Coffee", stock=5)
    buyers = [make_user() for _ in range(20)]
    for buyer in buyers:
        fill_cart(buyer, (product, 1))

    results = race([lambda b=buyer: order_checkout(user=b, payment_method="DUMMY") for buyer in buyers])

    orders = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, OutOfStock)]
    assert len(orders) == 5 and len(losers) == 15, results
    assert all("Last Coffee" in loser.message for loser in losers)
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert Order.objects.count() == 5
    assert len({order.number for order in orders}) == 5


def test_five_concurrent_cancels_restore_stock_once(customer, staff, make_product, fill_cart):
    product = make_product(stock=10)
    fill_cart(customer, (product, 3))
    order = order_checkout(user=customer, payment_method="DUMMY")

    actors = [customer, staff, customer, staff, customer]
    results = race([lambda a=actor: order_transition(order=order, to="CANCELLED", actor=a) for actor in actors])

    assert sum(isinstance(r, Order) for r in results) == 1, results
    assert sum(isinstance(r, InvalidTransition) for r in results) == 4, results
    assert Product.objects.get(pk=product.pk).stock_quantity == 10
    assert StockMovement.objects.filter(product=product, delta=3).count() == 1
    assert order.history.filter(to_status="CANCELLED").count() == 1


def test_two_concurrent_checkouts_with_one_key_make_one_order(customer, make_product, fill_cart):
    product = make_product(stock=10)
    fill_cart(customer, (product, 2))

    def submit() -> Order:
        return order_checkout(user=customer, payment_method="DUMMY", idempotency_key="double-click")

    results = race([submit, submit])

    assert all(isinstance(r, Order) for r in results), results
    assert results[0].pk == results[1].pk
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8
