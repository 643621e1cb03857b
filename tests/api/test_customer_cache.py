"""A customer's cart and orders answers are cached as plain data, and every
write path through the API shows in the next read."""

import pytest

from tests.api.payments.operations import CONFIRM, INITIATE
from tests.domain.commerce.payments.conftest import dummy_settings, place_order, product  # noqa: F401
from tests.factories import gid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]

CART = "{ cart { itemCount subtotal lines { id quantity unitPrice available product { price stockQuantity } } } }"
ORDERS = """{ orders(first: 10) { totalCount edges { node { id number status total
  lines { productName quantity product { price isActive } } } } } }"""
ADD = "mutation ($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { __typename } }"
UPDATE_LINE = "mutation ($l: ID!, $q: Int!) { updateCartLine(lineId: $l, quantity: $q) { __typename } }"
REMOVE_LINE = "mutation ($l: ID!) { removeCartLine(lineId: $l) { __typename } }"
CHECKOUT = "mutation { checkout(input: {paymentMethod: COD}) { __typename } }"
STATUS = "mutation ($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { __typename } }"
UPDATE_PRODUCT = """mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { __typename } }"""
ADJUST_STOCK = "mutation ($p: ID!, $d: Int!) { adjustStock(productId: $p, delta: $d) { __typename } }"


def cached_read(gql, document: str, user, django_assert_num_queries) -> dict:
    """Read twice; the second answer comes from the cache (only the token is checked)."""
    first = gql(document, user=user)
    with django_assert_num_queries(2):
        assert gql(document, user=user) == first
    return first


@pytest.fixture
def in_cart(gql, customer, product, django_assert_num_queries) -> str:  # noqa: F811
    gql(ADD, {"p": gid("Product", product.pk), "q": 2}, user=customer)
    cart = cached_read(gql, CART, customer, django_assert_num_queries)["cart"]
    assert cart["itemCount"] == 2
    return cart["lines"][0]["id"]


@pytest.fixture
def placed(gql, customer, place_order, django_assert_num_queries):  # noqa: F811
    order = place_order(customer)
    orders = cached_read(gql, ORDERS, customer, django_assert_num_queries)["orders"]
    assert orders["edges"][0]["node"]["status"] == "PENDING"
    return order


def test_add_line(gql, customer, product, in_cart):  # noqa: F811
    gql(ADD, {"p": gid("Product", product.pk), "q": 1}, user=customer)
    assert gql(CART, user=customer)["cart"]["itemCount"] == 3


def test_update_line(gql, customer, in_cart):
    gql(UPDATE_LINE, {"l": in_cart, "q": 5}, user=customer)
    assert gql(CART, user=customer)["cart"]["lines"][0]["quantity"] == 5


def test_remove_line(gql, customer, in_cart):
    gql(REMOVE_LINE, {"l": in_cart}, user=customer)
    assert gql(CART, user=customer)["cart"]["lines"] == []


def test_checkout(gql, customer, in_cart, django_assert_num_queries):
    cached_read(gql, ORDERS, customer, django_assert_num_queries)
    gql(CHECKOUT, user=customer)
    assert gql(CART, user=customer)["cart"]["itemCount"] == 0
    assert gql(ORDERS, user=customer)["orders"]["totalCount"] == 1


def test_status_change(gql, customer, staff, placed):
    gql(STATUS, {"o": gid("Order", placed.pk), "s": "CANCELLED"}, user=staff)
    assert gql(ORDERS, user=customer)["orders"]["edges"][0]["node"]["status"] == "CANCELLED"


def test_payment(gql, customer, placed):
    started = gql(INITIATE, {"orderId": gid("Order", placed.pk)}, user=customer)["initiatePayment"]
    gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)
    assert gql(ORDERS, user=customer)["orders"]["edges"][0]["node"]["status"] == "PAID"


def test_price_change(gql, customer, staff, product, placed, in_cart):  # noqa: F811
    gql(UPDATE_PRODUCT, {"id": gid("Product", product.pk), "input": {"price": "12.00"}}, user=staff)
    assert gql(CART, user=customer)["cart"]["lines"][0]["unitPrice"] == "12.00"
    assert gql(ORDERS, user=customer)["orders"]["edges"][0]["node"]["lines"][0]["product"]["price"] == "12.00"


def test_stock_change(gql, customer, staff, product, in_cart):  # noqa: F811
    gql(ADJUST_STOCK, {"p": gid("Product", product.pk), "d": -9}, user=staff)
    line = gql(CART, user=customer)["cart"]["lines"][0]
    assert (line["product"]["stockQuantity"], line["available"]) == (1, False)


def test_deactivation(gql, customer, staff, product, placed, in_cart):  # noqa: F811
    gql(UPDATE_PRODUCT, {"id": gid("Product", product.pk), "input": {"isActive": False}}, user=staff)
    assert gql(CART, user=customer)["cart"]["lines"][0]["available"] is False
    assert gql(ORDERS, user=customer)["orders"]["edges"][0]["node"]["lines"][0]["product"]["isActive"] is False


def test_answers_are_per_user(gql, customer, make_user, product, in_cart):  # noqa: F811
    assert gql(CART, user=make_user())["cart"]["itemCount"] == 0
