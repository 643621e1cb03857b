from decimal import Decimal

import pytest
from django.core import mail

from commerce.models import CartLine, Order, Product, StockMovement
from tests.api.orders.operations import CHECKOUT
from tests.conftest import codes, messages
from tests.factories import gid


def _stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock_quantity


def test_checkout_turns_the_cart_into_a_pending_order(
    gql, customer, make_product, fill_cart, make_address, settings, run_tasks
):
    settings.TAX_RATE = Decimal("0.19")
    coffee = make_product("Coffee", price="10.05", stock=5)
    tea = make_product("Tea", price="3.33", stock=3)
    fill_cart(customer, (coffee, 2), (tea, 3))
    address = make_address(customer, city="Porto")

    data = gql(
        CHECKOUT,
        {"input": {"paymentMethod": "DUMMY", "shippingAddressId": gid("Address", address.pk), "note": " ring "}},
        user=customer,
    )["checkout"]

    assert data["__typename"] == "CheckoutPayload", data
    order = data["order"]
    db_order = Order.objects.get()
    assert order["number"] == f"FM-{db_order.created_at.year}-{db_order.pk:06d}"
    assert order["status"] == "PENDING"
    assert order["paymentMethod"] == "DUMMY"
    assert order["note"] == "ring"
    assert order["user"] == {"email": customer.email}
    assert order["lines"] == [
        {"productName": "Coffee", "unitPrice": "10.05", "quantity": 2, "lineTotal": "20.10"},
        {"productName": "Tea", "unitPrice": "3.33", "quantity": 3, "lineTotal": "9.99"},
    ]
    # 30.09 * 0.19 = 5.7171 -> 5.72, once per order.
    assert (order["subtotal"], order["tax"], order["total"]) == ("30.09", "5.72", "35.81")
    assert order["currency"] == "USD"
    assert order["shippingAddress"] == {"fullName": "Cora Customer", "city": "Porto", "country": "PT"}
    assert order["history"] == [
        {
            "fromStatus": None,
            "toStatus": "PENDING",
            "note": "",
            "actorRole": "CUSTOMER",
            "actor": {"email": customer.email},
        }
    ]
    assert order["availableTransitions"] == ["CANCELLED"]
    assert (_stock(coffee), _stock(tea)) == (3, 0)
    assert not CartLine.objects.filter(cart__user=customer).exists()
    assert sorted(StockMovement.objects.values_list("delta", flat=True)) == [-3, -2]

    # The order-placed actors were queued on commit.
    assert run_tasks() == 2
    assert customer.notifications.get().kind == "ORDER_PLACED"
    assert [m.subject for m in mail.outbox] == [f"Your order {order['number']}"]


def test_prices_are_frozen_into_the_order(gql, customer, make_product, fill_cart):
    coffee = make_product(price="10.00")
    fill_cart(customer, (coffee, 1))
    order = gql(CHECKOUT, {"input": {"paymentMethod": "COD"}}, user=customer)["checkout"]["order"]
    Product.objects.filter(pk=coffee.pk).update(price=Decimal("99.00"), name="Renamed")

    line = Order.objects.get().lines.get()
    assert (line.product_name, line.unit_price) == ("Coffee", Decimal("10.00"))
    assert order["total"] == "10.00"


def test_the_default_address_is_used_when_none_is_given(gql, customer, make_product, fill_cart, make_address):
    make_address(customer, city="Braga", default=True)
    fill_cart(customer, (make_product(), 1))
    order = gql(CHECKOUT, {"input": {"paymentMethod": "COD"}}, user=customer)["checkout"]["order"]
    assert order["shippingAddress"]["city"] == "Braga"


def test_empty_cart(gql, customer):
    data = gql(CHECKOUT, {"input": {"paymentMethod": "DUMMY"}}, user=customer)["checkout"]
    assert codes(data) == ["EMPTY_CART"]
    assert not Order.objects.exists()


def test_out_of_stock_names_the_product_and_changes_nothing(gql, customer, make_product, fill_cart, run_tasks):
    coffee = make_product("Coffee", stock=5)
    tea = make_product("Rare Tea", stock=1)
    fill_cart(customer, (coffee, 2), (tea, 2))

    data = gql(CHECKOUT, {"input": {"paymentMethod": "DUMMY"}}, user=customer)["checkout"]

    assert codes(data) == ["OUT_OF_STOCK"]
    assert "Rare Tea" in messages(data)[0]["message"]
    assert (_stock(coffee), _stock(tea)) == (5, 1)
    assert CartLine.objects.filter(cart__user=customer).count() == 2
    assert not Order.objects.exists()
    assert not StockMovement.objects.exists()
    assert run_tasks() == 0


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": "2026-01-01T00:00:00Z"}])
def test_unavailable_product_is_named(gql, customer, make_product, fill_cart, change):
    gone = make_product("Old Jam", stock=5)
    fill_cart(customer, (gone, 1))
    Product.objects.filter(pk=gone.pk).update(**change)

    data = gql(CHECKOUT, {"input": {"paymentMethod": "DUMMY"}}, user=customer)["checkout"]

    assert codes(data) == ["PRODUCT_UNAVAILABLE"]
    assert "Old Jam" in messages(data)[0]["message"]
    assert _stock(gone) == 5
    assert not Order.objects.exists()


def test_another_users_address_is_not_found(gql, customer, make_user, make_product, fill_cart, make_address):
    theirs = make_address(make_user())
    product = make_product(stock=5)
    fill_cart(customer, (product, 1))

    data = gql(
        CHECKOUT, {"input": {"paymentMethod": "DUMMY", "shippingAddressId": gid("Address", theirs.pk)}}, user=customer
    )["checkout"]

    assert codes(data) == ["NOT_FOUND"]
    assert _stock(product) == 5
    assert not Order.objects.exists()


def test_same_idempotency_key_returns_the_same_order_and_changes_nothing(
    gql, customer, make_product, fill_cart, run_tasks
):
    coffee = make_product(stock=10)
    fill_cart(customer, (coffee, 2))
    variables = {"input": {"paymentMethod": "DUMMY", "idempotencyKey": "key-1"}}
    first = gql(CHECKOUT, variables, user=customer)["checkout"]["order"]
    run_tasks()
    fill_cart(customer, (coffee, 5))  # a new cart must not be ordered by a retry

    again = gql(CHECKOUT, variables, user=customer)["checkout"]["order"]

    assert again["id"] == first["id"]
    assert Order.objects.count() == 1
    assert _stock(coffee) == 8
    assert CartLine.objects.get(cart__user=customer).quantity == 5
    assert run_tasks() == 0


def test_idempotency_keys_are_per_user(gql, customer, make_user, make_product, fill_cart):
    other = make_user()
    product = make_product(stock=10)
    ids = []
    for user in (customer, other):
        fill_cart(user, (product, 1))
        ids.append(gql(CHECKOUT, {"input": {"paymentMethod": "DUMMY", "idempotencyKey": "k"}}, user=user))
    assert Order.objects.count() == 2


def test_anonymous_cannot_check_out(gql):
    data = gql(CHECKOUT, {"input": {"paymentMethod": "DUMMY"}})["checkout"]
    assert codes(data) == ["UNAUTHENTICATED"]
