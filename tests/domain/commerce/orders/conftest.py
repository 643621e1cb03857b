"""The order tests' fixtures over the shared factories: one category and its
products, carts, addresses, and orders placed through the checkout service
(and moved along the lifecycle)."""

from collections.abc import Callable

import pytest
from django.core import mail

from accounts.models import User
from commerce.models import Address, Cart, Category, Order, OrderStatus, Product
from tests import factories


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(name="Groceries", slug="groceries")


@pytest.fixture
def make_product(category) -> Callable[..., Product]:
    """`factories.make_product`, in this module's one category."""

    def make(name: str = "Coffee", **fields) -> Product:
        return factories.make_product(name, category=category, **fields)

    return make


@pytest.fixture
def fill_cart() -> Callable[..., Cart]:
    return factories.cart_fill


@pytest.fixture
def make_address() -> Callable[..., Address]:
    return factories.make_address


@pytest.fixture
def place_order(make_product, django_capture_on_commit_callbacks) -> Callable[..., Order]:
    """An order placed through the checkout service (no API round trip); its
    on-commit callbacks run as after a real commit."""

    def place(user: User, *, product: Product | None = None, quantity: int = 2) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            return factories.order_place(user, (product or make_product(stock=10), quantity))

    return place


@pytest.fixture
def order_in(customer, make_product, django_capture_on_commit_callbacks, run_tasks) -> Callable[[str], Order]:
    """An order of 2 coffee and 3 tea moved to a status, its emails sent and cleared."""

    def place(status: str) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            order = factories.order_advance(
                factories.order_place(customer, (make_product("Coffee"), 2), (make_product("Tea"), 3)), status
            )
        run_tasks()  # the order-placed and status emails and notifications
        mail.outbox.clear()
        return order

    return place


@pytest.fixture
def paid_order(order_in) -> Order:
    """A PAID order of 2 coffee and 3 tea."""
    return order_in(OrderStatus.PAID)
