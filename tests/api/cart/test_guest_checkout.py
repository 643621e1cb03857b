"""Guest checkout through GraphQL over HTTP: a cart token in `X-Cart-Token`
opens a cart without an account, `guestCheckout` places its order under the
checkout's own rules, the token pays it, reads only its own cart and orders,
and the orders go to the account once that email registers and verifies."""

from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.utils import timezone

from accounts.email_tokens import RESET_PASSWORD, VERIFY_EMAIL, email_token_make
from commerce.models import Cart, CartLine, Notification, Order, OrderStatus, Product, ProductVariant, StockMovement
from fmcore.housekeeping import housekeeping_run
from tests.api.test_answer_front import access_line
from tests.conftest import codes
from tests.factories import ADDRESS_INPUT, gid, make_product, order_place
from tests.processes import running_server
from tests.system.test_observability import real_processes

pytestmark = [pytest.mark.django_db]

CREATE = """mutation { createGuestCart {
  __typename
  ... on GuestCartPayload { token cart { id itemCount lines { id } } }
  ... on OperationInfo { messages { code } }
} }"""
CART = "{ cart { id itemCount total lines { id quantity product { slug } } } }"
ADD = """mutation ($productId: ID!, $quantity: Int) {
  addToCart(productId: $productId, quantity: $quantity) {
    __typename
    ... on CartPayload { cart { itemCount lines { id quantity } } }
    ... on OperationInfo { messages { code field } }
  }
}"""
UPDATE = """mutation ($lineId: ID!, $quantity: Int!) {
  updateCartLine(lineId: $lineId, quantity: $quantity) {
    __typename
    ... on CartPayload { cart { itemCount } }
    ... on OperationInfo { messages { code } }
  }
}"""
ORDER_FIELDS = "id number status total email user { email } shippingAddress { fullName city country } paymentMethod"
GUEST_CHECKOUT = f"""mutation ($input: GuestCheckoutInput!) {{
  guestCheckout(input: $input) {{
    __typename
    ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field }} }}
  }}
}}"""
ORDER = f"query ($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = "{ orders { totalCount edges { node { number email } } } latestOrder { number } }"
INITIATE = """mutation ($orderId: ID!, $method: PaymentMethod) {
  initiatePayment(orderId: $orderId, method: $method) {
    __typename
    ... on PaymentPayload { payment { id status method } }
    ... on OperationInfo { messages { code } }
  }
}"""
CONFIRM = """mutation ($id: ID!) {
  confirmPayment(paymentId: $id) {
    __typename
    ... on PaymentPayload { payment { id status } }
    ... on OperationInfo { messages { code } }
  }
}"""
RESET = """mutation ($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password) { __typename ... on OperationInfo { messages { code } } }
}"""
VERIFY = """mutation ($token: String!) {
  verifyEmail(token: $token) { __typename ... on OperationInfo { messages { code } } }
}"""
PRODUCTS = "{ products(first: 5) { edges { node { name } } } }"


def checkout_input(email: str = "gus@example.com", **fields) -> dict:
    return {"email": email, "shippingAddress": ADDRESS_INPUT, "paymentMethod": "DUMMY", **fields}


@pytest.fixture
def guest_cart(gql):
    """A new guest cart's token through `createGuestCart`."""

    def create() -> str:
        payload = gql(CREATE)["createGuestCart"]
        assert payload["__typename"] == "GuestCartPayload", payload
        return payload["token"]

    return create


def as_guest(token: str) -> dict:
    return {"headers": {"X-Cart-Token": token}}


def place(gql, token: str, product: Product, quantity: int = 1, **fields) -> dict:
    assert gql(ADD, {"productId": gid("Product", product.pk), "quantity": quantity}, **as_guest(token))["addToCart"][
        "cart"
    ]
    payload = gql(GUEST_CHECKOUT, {"input": checkout_input(**fields)}, **as_guest(token))["guestCheckout"]
    assert payload["__typename"] == "CheckoutPayload", payload
    return payload["order"]


def test_a_guest_shops_checks_out_and_pays_with_the_cart_token(gql, guest_cart, run_tasks, settings):
    settings.PAYMENTS_DUMMY_ENABLED = True
    lamp = make_product("Lamp", price="12.50", stock=3)
    created = gql(CREATE)["createGuestCart"]
    token = created["token"]
    assert len(token) >= 40 and created["cart"] == {"id": created["cart"]["id"], "itemCount": 0, "lines": []}
    # Only the token's hash is stored.
    assert not Cart.objects.filter(token_hash=token).exists()
    assert Cart.objects.get().user is None

    added = gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, **as_guest(token))["addToCart"]
    assert added["cart"]["itemCount"] == 2
    cart = gql(CART, **as_guest(token))["cart"]
    assert (cart["id"], cart["total"], cart["lines"][0]["product"]) == (
        created["cart"]["id"],
        "25.00",
        {"slug": lamp.slug},
    )

    payload = gql(GUEST_CHECKOUT, {"input": checkout_input(" Gus@Example.com ")}, **as_guest(token))["guestCheckout"]
    order = payload["order"]
    assert (order["status"], order["total"], order["email"], order["user"]) == (
        "PENDING",
        "25.00",
        "Gus@Example.com",
        None,
    )
    assert order["shippingAddress"] == {"fullName": "Gus Guest", "city": "Berlin", "country": "DE"}
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 1
    assert gql(CART, **as_guest(token))["cart"]["itemCount"] == 0
    movement = StockMovement.objects.get()
    assert (movement.delta, movement.actor) == (-2, None)

    # The confirmation goes to the guest's address; guests have no in-app inbox.
    run_tasks()
    assert [(m.subject, m.to) for m in mail.outbox] == [(f"Your order {order['number']}", ["Gus@Example.com"])]
    assert not Notification.objects.exists()

    # The token reads its orders and pays them.
    assert gql(ORDER, {"id": order["id"]}, **as_guest(token))["order"]["number"] == order["number"]
    mine = gql(ORDERS, **as_guest(token))
    assert mine["orders"]["totalCount"] == 1 and mine["latestOrder"] == {"number": order["number"]}
    started = gql(INITIATE, {"orderId": order["id"]}, **as_guest(token))["initiatePayment"]
    assert started["__typename"] == "PaymentPayload", started
    confirmed = gql(CONFIRM, {"id": started["payment"]["id"]}, **as_guest(token))["confirmPayment"]
    assert confirmed["payment"]["status"] == "SUCCEEDED"
    assert Order.objects.get().status == OrderStatus.PAID
    mail.outbox.clear()
    run_tasks()
    assert [m.to for m in mail.outbox if "payment received" in m.subject] == [["Gus@Example.com"]]


def test_cash_on_delivery_for_a_guest(gql, guest_cart):
    token = guest_cart()
    order = place(gql, token, make_product(stock=2), paymentMethod="COD")
    started = gql(INITIATE, {"orderId": order["id"]}, **as_guest(token))["initiatePayment"]
    assert (started["payment"]["method"], started["payment"]["status"]) == ("COD", "PENDING")
    assert Order.objects.get().status == OrderStatus.CONFIRMED


def test_the_same_idempotency_key_returns_the_same_order(gql, guest_cart):
    token = guest_cart()
    lamp = make_product(stock=5)
    first = place(gql, token, lamp, idempotencyKey="double-click")
    gql(ADD, {"productId": gid("Product", lamp.pk)}, **as_guest(token))
    again = gql(GUEST_CHECKOUT, {"input": checkout_input(idempotencyKey="double-click")}, **as_guest(token))
    assert again["guestCheckout"]["order"]["id"] == first["id"]
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 4
    assert CartLine.objects.count() == 1  # the retry changed nothing

    # Another guest may use the same key for an order of their own.
    other = place(gql, guest_cart(), lamp, idempotencyKey="double-click")
    assert other["id"] != first["id"]


def test_out_of_stock_and_bad_input_leave_nothing_written(gql, guest_cart):
    token = guest_cart()
    lamp = make_product(stock=2)
    gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, **as_guest(token))
    # Sold elsewhere meanwhile.
    ProductVariant.objects.filter(product=lamp).update(stock_quantity=1)
    Product.objects.filter(pk=lamp.pk).update(stock_quantity=1)

    refused = gql(GUEST_CHECKOUT, {"input": checkout_input()}, **as_guest(token))["guestCheckout"]
    assert codes(refused) == ["OUT_OF_STOCK"]
    bad_country = checkout_input(shippingAddress={**ADDRESS_INPUT, "country": "XX"})
    assert codes(gql(GUEST_CHECKOUT, {"input": bad_country}, **as_guest(token))["guestCheckout"]) == ["INVALID_COUNTRY"]
    bad_email = checkout_input("not-an-email")
    assert codes(gql(GUEST_CHECKOUT, {"input": bad_email}, **as_guest(token))["guestCheckout"]) == ["INVALID_EMAIL"]
    no_city = checkout_input(shippingAddress={**ADDRESS_INPUT, "city": ""})
    assert gql(GUEST_CHECKOUT, {"input": no_city}, **as_guest(token))["guestCheckout"]["__typename"] == "OperationInfo"

    assert not Order.objects.exists() and not StockMovement.objects.exists()
    assert Product.objects.get(pk=lamp.pk).stock_quantity == 1
    assert CartLine.objects.get().quantity == 2


def test_an_empty_guest_cart_cannot_check_out(gql, guest_cart):
    payload = gql(GUEST_CHECKOUT, {"input": checkout_input()}, **as_guest(guest_cart()))["guestCheckout"]
    assert codes(payload) == ["EMPTY_CART"]


def test_a_guest_token_reads_and_changes_only_its_own_cart_and_orders(gql, guest_cart, customer, settings):
    settings.PAYMENTS_DUMMY_ENABLED = True
    alice, bob = guest_cart(), guest_cart()
    lamp = make_product(stock=9)
    gql(ADD, {"productId": gid("Product", lamp.pk)}, **as_guest(alice))
    alice_line = gql(CART, **as_guest(alice))["cart"]["lines"][0]["id"]
    assert gql(CART, **as_guest(bob))["cart"]["lines"] == []
    assert codes(gql(UPDATE, {"lineId": alice_line, "quantity": 5}, **as_guest(bob))["updateCartLine"]) == ["NOT_FOUND"]

    order = place(gql, alice, lamp)
    assert gql(ORDER, {"id": order["id"]}, **as_guest(bob))["order"] is None
    assert gql(ORDERS, **as_guest(bob)) == {"orders": {"totalCount": 0, "edges": []}, "latestOrder": None}
    assert gql(ORDER, {"id": order["id"]}, user=customer)["order"] is None
    assert gql(ORDER, {"id": order["id"]})["order"] is None  # anonymous, no token
    assert codes(gql(INITIATE, {"orderId": order["id"]}, **as_guest(bob))["initiatePayment"]) == ["NOT_FOUND"]
    assert codes(gql(INITIATE, {"orderId": order["id"]}, user=customer)["initiatePayment"]) == ["NOT_FOUND"]
    payment = gql(INITIATE, {"orderId": order["id"]}, **as_guest(alice))["initiatePayment"]["payment"]
    assert codes(gql(CONFIRM, {"id": payment["id"]}, **as_guest(bob))["confirmPayment"]) == ["NOT_FOUND"]
    assert Order.objects.get().status == OrderStatus.CONFIRMED
    assert CartLine.objects.count() == 0


def test_an_unknown_or_expired_token_opens_nothing(gql, guest_cart, settings):
    lamp = make_product()
    unknown = gql(ADD, {"productId": gid("Product", lamp.pk)}, **as_guest("not-a-token"))["addToCart"]
    assert codes(unknown) == ["INVALID_CART_TOKEN"]
    assert gql(CART, **as_guest("not-a-token"))["cart"] is None
    assert codes(gql(GUEST_CHECKOUT, {"input": checkout_input()}, **as_guest("x" * 500))["guestCheckout"]) == [
        "INVALID_CART_TOKEN"
    ]

    token = guest_cart()
    Cart.objects.update(updated_at=timezone.now() - timedelta(days=settings.GUEST_CART_TTL_DAYS, seconds=1))
    assert codes(gql(ADD, {"productId": gid("Product", lamp.pk)}, **as_guest(token))["addToCart"]) == [
        "INVALID_CART_TOKEN"
    ]
    assert not CartLine.objects.exists()


def test_housekeeping_deletes_abandoned_guest_carts_and_keeps_their_orders(gql, guest_cart, customer, settings):
    old, fresh = guest_cart(), guest_cart()
    order = place(gql, old, make_product())
    gql(CART, user=customer)  # a user's cart is never a guest cart
    Cart.objects.exclude(pk=Order.objects.get().guest_cart_id).exclude(user=customer).update(updated_at=timezone.now())
    Cart.objects.filter(pk=Order.objects.get().guest_cart_id).update(
        updated_at=timezone.now() - timedelta(days=settings.GUEST_CART_TTL_DAYS + 1)
    )

    assert housekeeping_run().guest_carts_deleted == 1
    assert Cart.objects.filter(user=customer).exists()
    assert gql(CART, **as_guest(fresh))["cart"] is not None
    assert gql(CART, **as_guest(old))["cart"] is None
    kept = Order.objects.get()
    assert (kept.number, kept.guest_cart_id, kept.email) == (order["number"], None, "gus@example.com")


def test_a_logged_in_user_keeps_their_own_cart_whatever_token_is_sent(gql, guest_cart, customer):
    token = guest_cart()
    lamp = make_product()
    added = gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer, **as_guest(token))["addToCart"]
    assert added["cart"]["itemCount"] == 1
    assert Cart.objects.get(user=customer).lines.count() == 1
    assert gql(CART, **as_guest(token))["cart"]["itemCount"] == 0

    refused = gql(GUEST_CHECKOUT, {"input": checkout_input()}, user=customer, **as_guest(token))["guestCheckout"]
    assert codes(refused) == ["PERMISSION_DENIED"]
    assert not Order.objects.exists()


def test_guest_orders_become_the_account_of_that_email_when_it_verifies(gql, guest_cart, make_user):
    token = guest_cart()
    lamp = make_product(stock=5)
    first = place(gql, token, lamp, email="Dana@Example.com", idempotencyKey="k")
    other = place(gql, guest_cart(), lamp, email="someone-else@example.com")
    dana = make_user("dana@example.com", verified=False)
    # An order of the account with the same key: the guest's key gives way.
    dana_own = order_place(dana, (make_product(), 1), idempotency_key="k")

    assert gql(VERIFY, {"token": email_token_make(user=dana, purpose=VERIFY_EMAIL)})["verifyEmail"]["__typename"] == (
        "VerifyEmailPayload"
    )

    attached = Order.objects.get(number=first["number"])
    assert (attached.user, attached.idempotency_key) == (dana, None)
    assert Order.objects.get(number=other["number"]).user is None
    numbers = {edge["node"]["number"] for edge in gql(ORDERS, user=dana)["orders"]["edges"]}
    assert numbers == {first["number"], dana_own.number}
    assert gql(ORDER, {"id": first["id"]}, user=dana)["order"]["user"] == {"email": "dana@example.com"}
    # The order is the account's now, no longer the token's.
    assert gql(ORDER, {"id": first["id"]}, **as_guest(token))["order"] is None


def test_a_password_reset_proves_the_address_too_and_attaches(gql, guest_cart, make_user):
    order = place(gql, guest_cart(), make_product(), email="erin@example.com")
    erin = make_user("Erin@example.com", verified=False)

    token = email_token_make(user=erin, purpose=RESET_PASSWORD)
    reset = gql(RESET, {"token": token, "password": "another-Horse-battery-7"})["resetPassword"]
    assert reset["__typename"] == "OkPayload", reset

    assert Order.objects.get(number=order["number"]).user == erin


def test_create_guest_cart_and_guest_checkout_are_throttled(gql, guest_cart, settings):
    settings.GUEST_RATE_LIMIT = "3/m"
    tokens = [guest_cart() for _ in range(3)]
    assert codes(gql(CREATE)["createGuestCart"]) == ["RATE_LIMITED"]
    assert Cart.objects.count() == 3

    settings.GUEST_RATE_LIMIT = "2/m"  # checkouts count apart from cart creations
    lamp = make_product(stock=10)
    for token in tokens:
        gql(ADD, {"productId": gid("Product", lamp.pk)}, **as_guest(token))
    for token in tokens[:2]:
        gql(GUEST_CHECKOUT, {"input": checkout_input()}, **as_guest(token))
    refused = gql(GUEST_CHECKOUT, {"input": checkout_input()}, **as_guest(tokens[2]))["guestCheckout"]
    assert codes(refused) == ["RATE_LIMITED"]
    assert Order.objects.count() == 2


def test_requests_with_a_cart_token_never_touch_the_anonymous_answer_cache(gql, guest_cart, django_assert_num_queries):
    lamp = make_product("Lamp")
    token = guest_cart()
    assert gql(PRODUCTS, **as_guest(token))["products"]["edges"] == [{"node": {"name": "Lamp"}}]
    # A write that bypasses the services (no cache invalidation) shows which answers were cached.
    Product.objects.filter(pk=lamp.pk).update(name="Renamed")
    assert gql(PRODUCTS)["products"]["edges"] == [{"node": {"name": "Renamed"}}]  # nothing was stored
    with django_assert_num_queries(0):
        gql(PRODUCTS)  # now it is, for anonymous visitors
    Product.objects.filter(pk=lamp.pk).update(name="Again")
    assert gql(PRODUCTS, **as_guest(token))["products"]["edges"] == [{"node": {"name": "Again"}}]
    response = gql.post(PRODUCTS, headers={"X-Cart-Token": token})
    assert "public" not in response.headers.get("Cache-Control", "")


@real_processes
def test_a_real_server_never_answers_a_cart_token_from_the_front_cache():
    """Over a real server with Redis (schema/front_cache.py in front of Django): a
    guest's requests always reach Django, and the whole guest flow works there."""
    lamp = make_product("Lamp", stock=3)
    with running_server() as server:
        url = f"{server.url}/graphql/"

        def post(query: str, variables: dict | None = None, **headers: str) -> dict:
            response = requests.post(
                url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
            )
            assert response.status_code == 200, response.text
            return response.json()["data"]

        for _ in range(3):  # computed, stored, then served by the front
            post(PRODUCTS)
        token = post(CREATE)["createGuestCart"]["token"]
        post(ADD, {"productId": gid("Product", lamp.pk)}, **{"X-Cart-Token": token})
        seen = post(PRODUCTS, **{"X-Cart-Token": token, "X-Request-ID": "guest-1"})
        assert seen["products"]["edges"] == [{"node": {"name": "Lamp"}}]
        assert access_line(server, "guest-1")["sql_queries"] >= 1  # Django answered it
        order = post(GUEST_CHECKOUT, {"input": checkout_input()}, **{"X-Cart-Token": token})["guestCheckout"]
        assert order["order"]["status"] == "PENDING", order
        assert post(CART, **{"X-Cart-Token": token})["cart"]["itemCount"] == 0
    assert Order.objects.get().email == "gus@example.com"
