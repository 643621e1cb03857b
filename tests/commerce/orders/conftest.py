"""Catalog, cart and address rows made straight with the ORM (the catalog and
cart APIs are another module's), and helpers to check out through the API."""

from collections.abc import Callable

import pytest
from strawberry.relay import to_base64

from accounts.models import User
from commerce.checkout.services import order_checkout
from commerce.models import Address, Cart, CartLine, Category, Order, Product
from tests.commerce.catalog import factories

ORDER_FIELDS = """
    id number status subtotal tax total currency paymentMethod note createdAt
    user { email }
    lines { productName unitPrice quantity lineTotal }
    shippingAddress { fullName city country }
    history { fromStatus toStatus note actorRole actor { email } }
    availableTransitions
"""

CHECKOUT = f"""
mutation($input: CheckoutInput!) {{
  checkout(input: $input) {{
    __typename
    ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""

CANCEL = f"""
mutation($id: ID!, $reason: String) {{
  cancelOrder(orderId: $id, reason: $reason) {{
    __typename
    ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""

UPDATE_STATUS = f"""
mutation($id: ID!, $status: OrderStatus!, $note: String) {{
  updateOrderStatus(orderId: $id, status: $status, note: $note) {{
    __typename
    ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""

ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
LATEST = f"query {{ latestOrder {{ {ORDER_FIELDS} }} }}"


def gid(type_name: str, pk: int) -> str:
    return to_base64(type_name, pk)


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(name="Groceries", slug="groceries")


@pytest.fixture
def make_product(category) -> Callable[..., Product]:
    """`make_product` of the catalog factories, in this module's one category."""

    def make(name: str = "Coffee", **fields) -> Product:
        return factories.make_product(name, category=category, **fields)

    return make


@pytest.fixture
def fill_cart() -> Callable[..., Cart]:
    def fill(user: User, *items: tuple[Product, int]) -> Cart:
        cart, _ = Cart.objects.get_or_create(user=user)
        for product, quantity in items:
            CartLine.objects.update_or_create(
                cart=cart, product=product, variant=product.variants.get(), defaults={"quantity": quantity}
            )
        return cart

    return fill


@pytest.fixture
def make_address() -> Callable[..., Address]:
    def make(user: User, *, default: bool = False, city: str = "Lisbon") -> Address:
        return Address.objects.create(
            user=user, full_name="Cora Customer", line1="Rua 1", city=city, country="PT", is_default=default
        )

    return make


@pytest.fixture
def place_order(make_product, fill_cart, django_capture_on_commit_callbacks) -> Callable[..., Order]:
    """An order placed through the checkout service (no API round trip); its
    on-commit callbacks run as after a real commit."""

    def place(user: User, *, product: Product | None = None, quantity: int = 2) -> Order:
        product = product or make_product(stock=10)
        fill_cart(user, (product, quantity))
        with django_capture_on_commit_callbacks(execute=True):
            return order_checkout(user=user, payment_method="DUMMY")

    return place
