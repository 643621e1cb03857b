"""Real races on PostgreSQL: threads with their own connections and row locks."""

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, connections

from accounts.principal import Principal
from commerce.cart.services import cart_line_add
from commerce.catalog.options import OptionData
from commerce.catalog.services import product_create, stock_adjust
from commerce.catalog.variants import variant_create
from commerce.checkout.services import order_checkout
from commerce.errors import InvalidTransition, OutOfStock
from commerce.fulfilment.services import fulfilment_add
from commerce.models import Fulfilment, Order, Product, ProductVariant, StockMovement
from commerce.orders.status import order_transition
from infra.errors import DomainError

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
    results = race(
        [
            lambda a=actor: order_transition(order=order, to="CANCELLED", principal=Principal.for_user(a))
            for actor in actors
        ]
    )

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


def _sized_product(category, stock: dict[str, int]) -> Product:
    product = product_create(
        principal=Principal.system(),
        name="Race T-shirt",
        price=Decimal("20.00"),
        stock_quantity=0,
        category_id=category.pk,
        options=[OptionData(name="Size", values=list(stock))],
    )
    for size, units in stock.items():
        variant_create(
            principal=Principal.system(),
            product_id=product.pk,
            sku=f"RACE-{size}",
            options=[("Size", size)],
            stock_quantity=units,
        )
    return product


def test_twenty_buyers_race_for_five_units_of_one_size(make_user, category):
    product = _sized_product(category, {"S": 5, "M": 50})
    small = ProductVariant.objects.get(sku="RACE-S")
    buyers = [make_user() for _ in range(20)]
    for buyer in buyers:
        cart_line_add(owner=buyer, variant_id=small.pk, quantity=1)

    results = race([lambda b=buyer: order_checkout(user=b, payment_method="DUMMY") for buyer in buyers])

    orders = [r for r in results if isinstance(r, Order)]
    losers = [r for r in results if isinstance(r, OutOfStock)]
    assert len(orders) == 5 and len(losers) == 15, results
    assert all("Race T-shirt (S)" in loser.message for loser in losers)
    assert ProductVariant.objects.get(sku="RACE-S").stock_quantity == 0
    assert ProductVariant.objects.get(sku="RACE-M").stock_quantity == 50
    assert Product.objects.get(pk=product.pk).stock_quantity == 50
    assert StockMovement.objects.filter(variant=small, delta=-1).count() == 5


def test_checkouts_stock_edits_and_cancels_on_one_product_never_deadlock(make_user, staff, category):
    product = _sized_product(category, {"S": 30, "M": 30, "L": 30})
    sizes = list(ProductVariant.objects.filter(product=product).order_by("pk"))
    buyers = [make_user() for _ in range(6)]
    for n, buyer in enumerate(buyers):
        # Lines in both orders of the variants, so the lock order is what keeps them apart.
        for variant in sizes if n % 2 else sizes[::-1]:
            cart_line_add(owner=buyer, variant_id=variant.pk, quantity=1)
    placed = make_user()
    for variant in sizes:
        cart_line_add(owner=placed, variant_id=variant.pk, quantity=2)
    cancelled = order_checkout(user=placed, payment_method="DUMMY")

    calls: list[Callable[[], object]] = [
        lambda b=buyer: order_checkout(user=b, payment_method="DUMMY") for buyer in buyers
    ]
    calls += [
        lambda v=variant: stock_adjust(
            principal=Principal.for_user(staff), product_id=product.pk, variant_id=v.pk, delta=1
        )
        for variant in sizes
    ]
    calls.append(lambda: order_transition(order=cancelled, to="CANCELLED", principal=Principal.for_user(staff)))
    results = race(calls)

    assert not [r for r in results if isinstance(r, Exception)], results
    # 30 each, -2 placed, +2 cancelled, -6 bought, +1 adjusted.
    assert [v.stock_quantity for v in ProductVariant.objects.filter(product=product).order_by("pk")] == [25, 25, 25]
    assert Product.objects.get(pk=product.pk).stock_quantity == 75


def test_concurrent_shipments_of_the_whole_order_ship_it_once(paid_order, staff):
    results: list[str] = []
    barrier = threading.Barrier(4)

    def ship() -> None:
        try:
            barrier.wait()
            fulfilment_add(
                principal=Principal.for_user(staff), order_id=paid_order.pk, carrier="DHL", tracking_number="1"
            )
            results.append("ok")
        except DomainError as error:
            results.append(error.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=ship) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["FULFILMENT_EXCEEDS_ORDER"] * 3 + ["ok"]
    assert Fulfilment.objects.filter(order=paid_order).count() == 1
