"""Vouchers and shipping methods made with the ORM (their staff API is tested
on its own), and the GraphQL documents of the customer's side."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from commerce.models import ShippingMethod, Voucher
from tests.commerce.orders.conftest import category, fill_cart, make_address, make_product  # noqa: F401

CART_FIELDS = """
    voucherCode subtotal discount shipping tax total itemCount
    shippingMethod { id name }
    lines { quantity lineTotal }
"""
CART = f"{{ cart {{ {CART_FIELDS} }} }}"
APPLY = f"""mutation($code: String!) {{ applyVoucher(code: $code) {{
  __typename
  ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
REMOVE = f"""mutation {{ removeVoucher {{
  __typename ... on CartPayload {{ cart {{ {CART_FIELDS} }} }} }} }}"""
SET_SHIPPING = f"""mutation($id: ID!) {{ setCartShippingMethod(shippingMethodId: $id) {{
  __typename
  ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
AVAILABLE = """query($address: ID) { cart { availableShippingMethods(addressId: $address) { id name price } } }"""
ORDER_FIELDS = "id number status subtotal discount shipping tax total voucherCode shippingMethodName"
CHECKOUT = f"""mutation($input: CheckoutInput!) {{ checkout(input: $input) {{
  __typename
  ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
CANCEL = """mutation($id: ID!) { cancelOrder(orderId: $id) { __typename } }"""


@pytest.fixture
def make_voucher(db) -> Callable[..., Voucher]:
    def make(code: str = "SAVE10", *, kind: str = "PERCENTAGE", value: str = "10", **fields) -> Voucher:
        categories = fields.pop("categories", ())
        voucher = Voucher.objects.create(code=code, kind=kind, value=Decimal(value), **fields)
        voucher.categories.set(categories)
        return voucher

    return make


@pytest.fixture
def make_method(db) -> Callable[..., ShippingMethod]:
    def make(name: str = "Standard", *, price: str = "5.00", **fields) -> ShippingMethod:
        return ShippingMethod.objects.create(name=name, price=Decimal(price), **fields)

    return make
