"""Row locks under real concurrency (PostgreSQL only): stock never below zero, cart never above stock,
same-name products never share a slug."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from accounts.principal import Principal
from commerce.cart.services import cart_line_add
from commerce.catalog.services import product_create, stock_adjust
from commerce.models import CartLine, Product, StockMovement
from infra.errors import DomainError
from tests.factories import make_category, make_product

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def race(n: int, work: Callable[[], object]) -> list[object]:
    """Run `work` in n threads released at once; return results or raised DomainErrors."""
    barrier = threading.Barrier(n)
    results: list[object] = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except DomainError as error:
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_stock_removals_never_go_below_zero():
    product = make_product(stock=3)
    results = race(
        6, lambda: stock_adjust(principal=Principal.system(), product_id=product.pk, delta=-1, reason="race")
    )
    assert sum(isinstance(r, Product) for r in results) == 3
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert StockMovement.objects.filter(product=product).count() == 3


def test_concurrent_adds_never_exceed_the_stock(customer):
    product = make_product(stock=4)
    race(6, lambda: cart_line_add(owner=customer, product_id=product.pk, quantity=1))
    assert CartLine.objects.get(product=product).quantity == 4


def test_concurrent_same_name_products_get_distinct_slugs():
    category = make_category()
    race(
        4,
        lambda: product_create(
            principal=Principal.system(), name="Twin", price="1.00", stock_quantity=0, category_id=category.pk
        ),
    )
    slugs = sorted(Product.objects.filter(name="Twin").values_list("slug", flat=True))
    assert slugs == ["twin", "twin-2", "twin-3", "twin-4"]
