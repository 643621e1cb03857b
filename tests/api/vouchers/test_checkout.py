"""Checkout re-checks the voucher and settles shipping in its one transaction,
freezes discount, shipping and the code into the order, and counts one use."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import Cart, CartLine, Order, Product, VoucherUse
from tests.api.vouchers.operations import APPLY, CANCEL, CART, CHECKOUT, SET_SHIPPING
from tests.conftest import codes, messages
from tests.factories import gid

pytestmark = pytest.mark.django_db

ORDER = """query($id: ID!) { order(id: $id) { subtotal discount shipping tax total voucherCode shippingMethodName } }"""
VOUCHER_USES = """{ vouchers(first: 5) { edges { node { code timesUsed } } } }"""
UPDATE_STATUS = """mutation($id: ID!, $s: OrderStatus!) {
  updateOrderStatus(orderId: $id, status: $s) { __typename } }"""


def checkout(gql, user, **input) -> dict:
    return gql(CHECKOUT, {"input": {"paymentMethod": "COD", **input}}, user=user)["checkout"]


@pytest.fixture
def coffee(make_product) -> Product:
    return make_product("Coffee", price="40.00", stock=10)


@pytest.mark.parametrize(("tax_shipping", "tax", "total"), [(True, "6.93", "34.63"), (False, "6.75", "34.45")])
def test_the_order_freezes_discount_shipping_and_code_by_the_formula(
    gql, customer, settings, make_product, fill_cart, make_voucher, make_method, make_address, tax_shipping, tax, total
):
    settings.TAX_RATE = Decimal("0.25")
    settings.TAX_SHIPPING = tax_shipping
    make_address(customer, default=True)  # PT
    method = make_method("Express", price="0.70", countries=["PT"])
    make_voucher("WELCOME10", value="10")
    fill_cart(customer, (make_product("Coffee", price="30.00"), 1))
    gql(APPLY, {"code": "welcome10"}, user=customer)
    cart = gql(SET_SHIPPING, {"id": gid("ShippingMethod", method.pk)}, user=customer)["setCartShippingMethod"]["cart"]

    order = checkout(gql, customer)["order"]

    # 30.00 - 3.00 = 27.00 of goods, 0.70 shipping. Taxed with shipping: 27.70 x 0.25 = 6.925 -> 6.93
    # (half-up, once); without: 27.00 x 0.25 = 6.75.
    assert (order["subtotal"], order["discount"], order["shipping"]) == ("30.00", "3.00", "0.70")
    assert (order["tax"], order["total"]) == (tax, total)
    assert (order["voucherCode"], order["shippingMethodName"]) == ("WELCOME10", "Express")
    assert (cart["tax"], cart["total"]) == (tax, total)
    assert gql(ORDER, {"id": order["id"]}, user=customer)["order"] == {
        name: order[name]
        for name in ("subtotal", "discount", "shipping", "tax", "total", "voucherCode", "shippingMethodName")
    }
    assert VoucherUse.objects.get().order_id == Order.objects.get().pk
    # The emptied cart starts afresh: no voucher, no method.
    after = gql(CART, user=customer)["cart"]
    assert (after["voucherCode"], after["shippingMethod"], after["total"]) == (None, None, "0.00")


def _nothing_written(customer, product: Product, stock: int) -> None:
    assert not Order.objects.exists()
    assert not VoucherUse.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == stock
    assert CartLine.objects.filter(cart__user=customer).count() == 1


def test_a_voucher_that_expired_since_it_was_applied_fails_checkout_and_writes_nothing(
    gql, customer, coffee, fill_cart, make_voucher
):
    voucher = make_voucher("SOON", ends_at=timezone.now() + timedelta(hours=1))
    fill_cart(customer, (coffee, 2))
    gql(APPLY, {"code": "SOON"}, user=customer)
    voucher.ends_at = timezone.now() - timedelta(seconds=1)
    voucher.save()

    payload = checkout(gql, customer)
    assert [(m["field"], m["code"]) for m in messages(payload)] == [("code", "VOUCHER_EXPIRED")]
    _nothing_written(customer, coffee, 10)
    assert Cart.objects.get(user=customer).voucher == voucher  # still there, for the customer to remove


def test_a_voucher_used_up_since_it_was_applied_fails_checkout(
    gql, customer, make_user, coffee, make_product, fill_cart, make_voucher
):
    make_voucher("LAST", usage_limit=1)
    other = make_user()
    fill_cart(customer, (coffee, 1))
    fill_cart(other, (make_product(), 1))
    gql(APPLY, {"code": "LAST"}, user=customer)
    gql(APPLY, {"code": "LAST"}, user=other)
    assert checkout(gql, other)["__typename"] == "CheckoutPayload"

    assert codes(checkout(gql, customer)) == ["VOUCHER_USED_UP"]
    assert Order.objects.filter(user=customer).count() == 0
    assert Product.objects.get(pk=coffee.pk).stock_quantity == 10


def test_a_cart_below_the_minimum_fails_checkout(gql, customer, coffee, fill_cart, make_voucher):
    make_voucher("MIN", min_subtotal=Decimal("50"))
    fill_cart(customer, (coffee, 2))
    gql(APPLY, {"code": "MIN"}, user=customer)
    fill_cart(customer, (coffee, 1))

    assert codes(checkout(gql, customer)) == ["VOUCHER_MIN_SUBTOTAL"]
    _nothing_written(customer, coffee, 10)


def test_a_deleted_voucher_leaves_the_cart_and_checkout_goes_on(gql, customer, coffee, fill_cart, make_voucher):
    voucher = make_voucher("GONE")
    fill_cart(customer, (coffee, 1))
    gql(APPLY, {"code": "GONE"}, user=customer)
    voucher.delete()

    order = checkout(gql, customer)["order"]
    assert (order["voucherCode"], order["discount"], order["total"]) == (None, "0.00", "40.00")


def test_the_per_customer_limit_holds_across_orders(gql, customer, staff, coffee, fill_cart, make_voucher):
    make_voucher("ONCE", usage_limit_per_customer=1)
    fill_cart(customer, (coffee, 1))
    gql(APPLY, {"code": "ONCE"}, user=customer)
    assert checkout(gql, customer)["order"]["voucherCode"] == "ONCE"

    fill_cart(customer, (coffee, 1))
    assert codes(gql(APPLY, {"code": "ONCE"}, user=customer)["applyVoucher"]) == ["VOUCHER_USED_UP"]
    assert gql(VOUCHER_USES, user=staff)["vouchers"]["edges"] == [{"node": {"code": "ONCE", "timesUsed": 1}}]


def test_cancelling_an_unpaid_order_gives_its_use_back(
    gql, customer, make_user, staff, coffee, make_product, fill_cart, make_voucher
):
    make_voucher("ONLY1", usage_limit=1)
    fill_cart(customer, (coffee, 1))
    gql(APPLY, {"code": "ONLY1"}, user=customer)
    order = checkout(gql, customer)["order"]
    other = make_user()
    fill_cart(other, (make_product(), 1))
    assert codes(gql(APPLY, {"code": "ONLY1"}, user=other)["applyVoucher"]) == ["VOUCHER_USED_UP"]

    assert gql(CANCEL, {"id": order["id"]}, user=customer)["cancelOrder"]["__typename"] == "OrderPayload"

    assert gql(VOUCHER_USES, user=staff)["vouchers"]["edges"] == [{"node": {"code": "ONLY1", "timesUsed": 0}}]
    assert gql(APPLY, {"code": "ONLY1"}, user=other)["applyVoucher"]["cart"]["voucherCode"] == "ONLY1"
    assert checkout(gql, other)["order"]["voucherCode"] == "ONLY1"
    # The cancelled order keeps what it was priced with.
    assert Order.objects.get(user=customer).voucher_code == "ONLY1"


def test_cancelling_a_paid_order_keeps_its_use(gql, customer, staff, coffee, fill_cart, make_voucher):
    make_voucher("PAIDUP", usage_limit=1)
    fill_cart(customer, (coffee, 1))
    gql(APPLY, {"code": "PAIDUP"}, user=customer)
    order = checkout(gql, customer)["order"]
    for status in ("CONFIRMED", "PAID", "CANCELLED"):
        assert gql(UPDATE_STATUS, {"id": order["id"], "s": status}, user=staff)["updateOrderStatus"]["__typename"] == (
            "OrderPayload"
        )
    assert VoucherUse.objects.count() == 1


def test_a_shipping_method_is_required_when_one_serves_the_country(
    gql, customer, coffee, fill_cart, make_method, make_address
):
    address = make_address(customer, default=True)  # PT
    make_method("Germany", countries=["DE"])
    iberia = make_method("Iberia", price="3.00", countries=["PT", "ES"])
    fill_cart(customer, (coffee, 1))

    payload = checkout(gql, customer)
    assert [(m["field"], m["code"]) for m in messages(payload)] == [("shippingMethodId", "SHIPPING_METHOD_REQUIRED")]
    assert "Iberia" in messages(payload)[0]["message"]
    _nothing_written(customer, coffee, 10)

    order = checkout(gql, customer, shippingMethodId=gid("ShippingMethod", iberia.pk))["order"]
    assert (order["shippingMethodName"], order["shipping"], order["total"]) == ("Iberia", "3.00", "43.00")
    assert Order.objects.get().shipping_address["country"] == address.country


def test_a_method_that_does_not_ship_to_the_country_is_refused(
    gql, customer, coffee, fill_cart, make_method, make_address
):
    make_address(customer, default=True)  # PT
    germany = make_method("Germany", countries=["DE"])
    make_method("Everywhere", price="12.00")
    fill_cart(customer, (coffee, 1))
    gql(SET_SHIPPING, {"id": gid("ShippingMethod", germany.pk)}, user=customer)

    payload = checkout(gql, customer)
    assert codes(payload) == ["SHIPPING_METHOD_UNAVAILABLE"]
    assert "Germany" in messages(payload)[0]["message"] and "PT" in messages(payload)[0]["message"]
    _nothing_written(customer, coffee, 10)


def test_no_method_is_needed_when_none_serves_the_country(gql, customer, coffee, fill_cart, make_method, make_address):
    make_address(customer, default=True)  # PT
    make_method("Germany", countries=["DE"])
    fill_cart(customer, (coffee, 1))

    order = checkout(gql, customer)["order"]
    assert (order["shippingMethodName"], order["shipping"], order["total"]) == (None, "0.00", "40.00")
