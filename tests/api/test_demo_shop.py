"""The shop `manage.py load_demo_data` seeds, seen through the API: the demo customer logs in and sees
its address, order and cart, the demo voucher and shipping methods price a cart, and the demo
catalog is searchable."""

import pytest
from django.db import connection

from accounts.models import User
from commerce.models import CartLine, Order
from fmcore.management.commands.load_demo_data import DEMO_CUSTOMER_EMAIL
from tests.domain.commerce.test_demo_data import load

pytestmark = pytest.mark.django_db

LOGIN = """mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p) {
  __typename ... on TokenPayload { token user { email emailVerified } } } }"""
MINE = """{
  addresses { fullName city country isDefault }
  orders { totalCount edges { node { number status lines { quantity } } } }
  cart { itemCount lines { quantity } }
}"""
APPLY = """mutation { applyVoucher(code: "welcome10") { ... on CartPayload { cart {
  voucherCode discount availableShippingMethods { name price } } } } }"""


def test_the_printed_customer_login_sees_its_address_order_and_cart(gql):
    out = load()
    assert f"customer login: {DEMO_CUSTOMER_EMAIL} / fmcore-demo-customer" in out

    login = gql(LOGIN, {"e": DEMO_CUSTOMER_EMAIL, "p": "fmcore-demo-customer"})["tokenAuth"]
    assert login["user"] == {"email": DEMO_CUSTOMER_EMAIL, "emailVerified": True}
    mine = gql(MINE, token=login["token"])
    assert mine["addresses"] == [
        {"fullName": "Demo Customer", "city": "Springfield", "country": "US", "isDefault": True}
    ]
    assert mine["orders"]["totalCount"] == 1
    order = mine["orders"]["edges"][0]["node"]
    assert order["number"] in out
    assert (order["status"], order["lines"]) == ("PENDING", [{"quantity": 1}])
    assert (mine["cart"]["itemCount"], mine["cart"]["lines"]) == (1, [{"quantity": 1}])


def test_the_demo_has_a_voucher_and_two_shipping_methods(gql):
    load()
    customer = User.objects.get(email=DEMO_CUSTOMER_EMAIL)
    order = Order.objects.get(user=customer)
    assert (order.shipping_method_name, order.voucher_code) == ("Standard", "")

    # The demo cart holds one product, whatever its price: a cart that reaches the minimum gets 10% off.
    CartLine.objects.filter(cart__user=customer).update(quantity=5)
    cart = gql(APPLY, user=customer)["applyVoucher"]["cart"]
    assert cart["voucherCode"] == "WELCOME10" and cart["discount"] != "0.00"
    assert [m["name"] for m in cart["availableShippingMethods"]] == ["Standard", "Express"]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL search")
def test_the_demo_catalog_is_searchable_typos_and_all(gql):
    load()
    query = "query ($s: String!) { products(filters: {search: $s}) { edges { node { name } } } }"
    found = gql(query, {"s": "cast iron skilet"})["products"]["edges"]
    assert [edge["node"]["name"] for edge in found][:1] == ["Cast iron skillet"]
