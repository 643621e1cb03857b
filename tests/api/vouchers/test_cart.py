"""Applying a voucher and choosing a shipping method price the cart on the server."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import Cart, VoucherUse
from tests.api.vouchers.operations import APPLY, AVAILABLE, CART, REMOVE, SET_SHIPPING
from tests.conftest import codes, messages
from tests.factories import gid, make_category, make_product, order_of_total

pytestmark = pytest.mark.django_db

UPDATE_VOUCHER = """mutation($id: ID!, $input: VoucherUpdateInput!) { updateVoucher(id: $id, input: $input) {
  __typename } }"""
UPDATE_METHOD = """mutation($id: ID!, $input: ShippingMethodUpdateInput!) {
  updateShippingMethod(id: $id, input: $input) { __typename } }"""
SET_DEFAULT = "mutation($id: ID!) { setDefaultAddress(id: $id) { __typename } }"


@pytest.fixture
def cart_of_20(customer, make_product, fill_cart):
    """Two units at 10.00 in the customer's cart."""
    return fill_cart(customer, (make_product(price="10.00", stock=10), 2))


def test_a_voucher_in_any_case_discounts_the_cart_until_removed(gql, customer, settings, make_voucher, cart_of_20):
    settings.TAX_RATE = Decimal("0.10")
    make_voucher("SAVE15", value="15")

    cart = gql(APPLY, {"code": " save15 "}, user=customer)["applyVoucher"]["cart"]

    # 20.00 - 3.00 = 17.00; tax 1.70.
    assert (cart["voucherCode"], cart["subtotal"], cart["discount"]) == ("SAVE15", "20.00", "3.00")
    assert (cart["shipping"], cart["tax"], cart["total"]) == ("0.00", "1.70", "18.70")
    assert gql(CART, user=customer)["cart"] == cart

    cart = gql(REMOVE, user=customer)["removeVoucher"]["cart"]
    assert (cart["voucherCode"], cart["discount"], cart["total"]) == (None, "0.00", "22.00")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ends_at": timezone.now() - timedelta(minutes=1)}, "VOUCHER_EXPIRED"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "VOUCHER_INVALID"),
        ({"min_subtotal": Decimal("20.01")}, "VOUCHER_MIN_SUBTOTAL"),
        ({"usage_limit": 1}, "VOUCHER_USED_UP"),
    ],
)
def test_a_voucher_that_does_not_apply_leaves_the_cart_alone(
    gql, customer, make_user, make_voucher, cart_of_20, fields, code
):
    voucher = make_voucher("CODE", **fields)
    VoucherUse.objects.create(voucher=voucher, order=order_of_total(make_user()), user=None)

    payload = gql(APPLY, {"code": "CODE"}, user=customer)["applyVoucher"]

    assert [(m["field"], m["code"]) for m in messages(payload)] == [("code", code)]
    assert "CODE" in messages(payload)[0]["message"]
    assert Cart.objects.get(user=customer).voucher is None


def test_an_unknown_code_is_voucher_invalid(gql, customer, cart_of_20):
    assert codes(gql(APPLY, {"code": "NOPE"}, user=customer)["applyVoucher"]) == ["VOUCHER_INVALID"]


def test_the_per_customer_limit_counts_only_that_customers_orders(
    gql, customer, make_user, make_voucher, fill_cart, make_product
):
    voucher = make_voucher("ONCE", usage_limit_per_customer=1)
    VoucherUse.objects.create(voucher=voucher, order=order_of_total(customer), user=customer)
    fill_cart(customer, (make_product(price="10.00", stock=10), 2))  # cart_of_20, refilled after that checkout
    other = make_user()
    fill_cart(other, (make_product(), 1))

    assert codes(gql(APPLY, {"code": "ONCE"}, user=customer)["applyVoucher"]) == ["VOUCHER_USED_UP"]
    assert gql(APPLY, {"code": "ONCE"}, user=other)["applyVoucher"]["cart"]["voucherCode"] == "ONCE"


def test_a_category_voucher_discounts_only_its_lines(gql, customer, make_voucher, fill_cart):
    shoes, hats = make_category("Shoes"), make_category("Hats")
    fill_cart(
        customer,
        (make_product(category=shoes, price="33.33"), 1),
        (make_product(category=hats, price="50.00"), 1),
    )
    make_voucher("SHOES", value="10", categories=[shoes])

    cart = gql(APPLY, {"code": "SHOES"}, user=customer)["applyVoucher"]["cart"]

    # 10% of the shoes only: 3.333 -> 3.33, rounded half-up once.
    assert (cart["subtotal"], cart["discount"], cart["total"]) == ("83.33", "3.33", "80.00")


def test_a_fixed_voucher_never_takes_more_than_the_eligible_lines(gql, customer, make_voucher, fill_cart):
    shoes, hats = make_category("Shoes"), make_category("Hats")
    fill_cart(customer, (make_product(category=shoes, price="8.00"), 1), (make_product(category=hats, price="5.00"), 1))
    make_voucher("TWENTY", kind="FIXED", value="20", categories=[shoes])

    cart = gql(APPLY, {"code": "TWENTY"}, user=customer)["applyVoucher"]["cart"]
    assert (cart["discount"], cart["total"]) == ("8.00", "5.00")

    make_voucher("HUNDRED", kind="FIXED", value="100")
    cart = gql(APPLY, {"code": "HUNDRED"}, user=customer)["applyVoucher"]["cart"]
    assert (cart["voucherCode"], cart["discount"], cart["total"]) == ("HUNDRED", "13.00", "0.00")


def test_a_voucher_stops_counting_when_the_cart_falls_below_its_minimum(
    gql, customer, make_voucher, make_product, fill_cart
):
    coffee = make_product(price="10.00")
    fill_cart(customer, (coffee, 3))
    make_voucher("MIN25", kind="FIXED", value="5", min_subtotal=Decimal("25"))
    assert gql(APPLY, {"code": "MIN25"}, user=customer)["applyVoucher"]["cart"]["discount"] == "5.00"

    fill_cart(customer, (coffee, 2))
    cart = gql(CART, user=customer)["cart"]
    assert (cart["voucherCode"], cart["discount"], cart["total"]) == ("MIN25", "0.00", "20.00")


def test_the_chosen_shipping_method_is_priced_and_free_above_its_threshold(
    gql, customer, settings, make_method, make_voucher, cart_of_20
):
    settings.TAX_RATE = Decimal("0.10")
    settings.TAX_SHIPPING = True
    method = make_method("Standard", price="4.90", free_above=Decimal("20.00"))

    cart = gql(SET_SHIPPING, {"id": gid("ShippingMethod", method.pk)}, user=customer)["setCartShippingMethod"]["cart"]
    # 20.00 reaches freeAbove.
    assert (cart["shippingMethod"]["name"], cart["shipping"], cart["total"]) == ("Standard", "0.00", "22.00")

    # With a discount the goods are worth 19.00: shipping counts, and is taxed.
    make_voucher("ONE", kind="FIXED", value="1")
    cart = gql(APPLY, {"code": "ONE"}, user=customer)["applyVoucher"]["cart"]
    # 19.00 + 4.90 = 23.90; tax 2.39.
    assert (cart["discount"], cart["shipping"], cart["tax"], cart["total"]) == ("1.00", "4.90", "2.39", "26.29")


def test_an_unknown_shipping_method_is_not_found(gql, customer, cart_of_20):
    payload = gql(SET_SHIPPING, {"id": gid("ShippingMethod", 999)}, user=customer)["setCartShippingMethod"]
    assert codes(payload) == ["NOT_FOUND"]
    assert Cart.objects.get(user=customer).shipping_method is None


def test_available_methods_follow_the_address(gql, customer, make_method, make_address, cart_of_20):
    everywhere = make_method("Everywhere", price="9.00")
    make_method("Iberia", price="3.00", countries=["PT", "ES"])
    make_method("Germany", price="4.00", countries=["DE"])
    porto = make_address(customer, city="Porto")

    def names(address=None) -> list[str]:
        methods = gql(AVAILABLE, {"address": address}, user=customer)["cart"]["availableShippingMethods"]
        return [method["name"] for method in methods]

    # No default address yet: only the method for every country.
    assert names() == ["Everywhere"]
    assert names(gid("Address", porto.pk)) == ["Iberia", "Everywhere"]
    gql(SET_DEFAULT, {"id": gid("Address", porto.pk)}, user=customer)
    assert names() == ["Iberia", "Everywhere"]
    assert gql(AVAILABLE, user=customer)["cart"]["availableShippingMethods"][1] == {
        "id": gid("ShippingMethod", everywhere.pk),
        "name": "Everywhere",
        "price": "9.00",
    }


def test_cached_carts_see_staff_changes_to_vouchers_and_methods(
    gql, customer, staff, make_voucher, make_method, cart_of_20
):
    voucher = make_voucher("TEN", value="10")
    method = make_method("Standard", price="5.00")
    gql(APPLY, {"code": "TEN"}, user=customer)
    gql(SET_SHIPPING, {"id": gid("ShippingMethod", method.pk)}, user=customer)
    before = gql(CART, user=customer)["cart"]
    assert (before["discount"], before["shipping"]) == ("2.00", "5.00")
    assert gql(CART, user=customer)["cart"] == before  # now cached

    gql(UPDATE_VOUCHER, {"id": gid("Voucher", voucher.pk), "input": {"value": "50"}}, user=staff)
    gql(UPDATE_METHOD, {"id": gid("ShippingMethod", method.pk), "input": {"price": "7.50"}}, user=staff)

    after = gql(CART, user=customer)["cart"]
    assert (after["discount"], after["shipping"], after["total"]) == ("10.00", "7.50", "17.50")
