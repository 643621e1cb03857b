"""Who may pay, see and refund a payment; idempotent initiation; Order.payments' query count."""

import pytest
import responses

from accounts.principal import Principal
from commerce.models import OrderStatus, Payment, PaymentMethod, PaymentStatus
from tests.api.payments.operations import CONFIRM, INITIATE, ORDER_PAYMENTS, REFUND
from tests.conftest import codes
from tests.factories import gid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]

STRIPE_SESSIONS = "https://api.stripe.com/v1/checkout/sessions"


def initiate(gql, order, user, method=None, key=None) -> dict:
    return gql(INITIATE, {"orderId": gid("Order", order.pk), "method": method, "key": key}, user=user)[
        "initiatePayment"
    ]


def test_another_user_cannot_pay_an_order(gql, customer, make_user, place_order):
    order = place_order(customer)
    stranger = make_user("stranger@example.com")

    result = initiate(gql, order, stranger)

    assert codes(result) == ["NOT_FOUND"]
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_anonymous_cannot_pay(gql, customer, place_order):
    order = place_order(customer)
    result = gql(INITIATE, {"orderId": gid("Order", order.pk)})["initiatePayment"]
    assert codes(result) == ["UNAUTHENTICATED"]
    assert not Payment.objects.exists()


def test_another_user_cannot_see_confirm_or_find_a_payment(gql, customer, make_user, place_order):
    order = place_order(customer)
    payment_id = initiate(gql, order, customer)["payment"]["id"]
    stranger = make_user("stranger@example.com")

    confirm = gql(CONFIRM, {"id": payment_id}, user=stranger)["confirmPayment"]
    seen = gql(ORDER_PAYMENTS, {"id": gid("Order", order.pk)}, user=stranger)["order"]

    assert codes(confirm) == ["NOT_FOUND"]
    assert seen is None
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_staff_and_partner_apps_see_the_payments_of_orders(gql, customer, staff, place_order):
    from partners.models import AppScope
    from partners.services import app_create

    order = place_order(customer)
    payment_id = initiate(gql, order, customer)["payment"]["id"]
    _, token = app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])

    by_staff = gql(ORDER_PAYMENTS, {"id": gid("Order", order.pk)}, user=staff)["order"]
    by_app = gql(ORDER_PAYMENTS, {"id": gid("Order", order.pk)}, headers={"Authorization": f"App {token}"})["order"]

    assert [p["id"] for p in by_staff["payments"]] == [payment_id]
    assert [p["id"] for p in by_app["payments"]] == [payment_id]


def test_a_wrong_id_type_is_not_found(gql, customer, place_order):
    order = place_order(customer)
    result = gql(INITIATE, {"orderId": gid("Product", order.pk)}, user=customer)["initiatePayment"]
    assert codes(result) == ["NOT_FOUND"]


def test_customer_cannot_refund(gql, customer, place_order):
    order = place_order(customer)
    payment_id = initiate(gql, order, customer)["payment"]["id"]
    gql(CONFIRM, {"id": payment_id}, user=customer)

    result = gql(REFUND, {"id": payment_id}, user=customer)["refundPayment"]

    assert codes(result) == ["PERMISSION_DENIED"]
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED and not payment.refunds.exists()


def test_same_idempotency_key_returns_the_same_payment_without_calling_the_provider_again(
    gql, customer, place_order, stripe_settings, http
):
    order = place_order(customer, method=PaymentMethod.CARD)
    http.add(
        responses.POST,
        STRIPE_SESSIONS,
        json={"id": "cs_1", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_1"},
    )

    first = initiate(gql, order, customer, key="same")
    again = initiate(gql, order, customer, key="same")

    assert len(http.calls) == 1
    assert again["payment"]["id"] == first["payment"]["id"]
    assert again["nextAction"] == first["nextAction"]
    assert Payment.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.history.filter(to_status=OrderStatus.CONFIRMED).count() == 1


def test_provider_outage_leaves_the_order_pending_and_the_same_key_retries(
    gql, customer, place_order, stripe_settings, http
):
    order = place_order(customer, method=PaymentMethod.CARD)
    http.add(responses.POST, STRIPE_SESSIONS, status=503, json={"error": {"message": "down"}})

    failed = initiate(gql, order, customer, key="k")

    assert codes(failed) == ["PAYMENT_PROVIDER_ERROR"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    http.replace(
        responses.POST,
        STRIPE_SESSIONS,
        json={"id": "cs_2", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_2"},
    )
    retried = initiate(gql, order, customer, key="k")
    assert retried["payment"]["providerReference"] == "cs_2"
    assert Payment.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_an_unavailable_method_is_refused(gql, customer, place_order):
    order = place_order(customer, method=PaymentMethod.CARD)  # no Stripe keys in tests
    assert codes(initiate(gql, order, customer)) == ["PAYMENT_METHOD_UNAVAILABLE"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not Payment.objects.exists()


def test_the_method_chosen_now_replaces_the_checkout_one(gql, customer, place_order):
    order = place_order(customer, method=PaymentMethod.CARD)
    started = initiate(gql, order, customer, method="DUMMY")
    assert started["payment"]["method"] == "DUMMY"
    order.refresh_from_db()
    assert order.payment_method == PaymentMethod.DUMMY


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.CANCELLED])
def test_a_paid_or_cancelled_order_is_not_payable(gql, customer, place_order, status):
    from commerce.orders.status import order_transition

    order = place_order(customer)
    if status == OrderStatus.PAID:
        order = order_transition(order=order, to=OrderStatus.CONFIRMED, principal=Principal.system())
    order = order_transition(order=order, to=status, principal=Principal.system())

    assert codes(initiate(gql, order, customer)) == ["ORDER_NOT_PAYABLE"]
    assert not Payment.objects.exists()


def test_an_over_long_idempotency_key_is_refused(gql, customer, place_order):
    order = place_order(customer)
    assert codes(initiate(gql, order, customer, key="x" * 101)) == ["INVALID_INPUT"]
    assert not Payment.objects.exists()


def test_orders_with_payments_run_a_constant_number_of_queries(gql, customer, place_order, django_assert_num_queries):
    from commerce.payments.sessions import payment_create

    for _ in range(5):
        order = place_order(customer)
        payment_create(order=order, method=PaymentMethod.DUMMY)
    query = "query($n: Int) { orders(first: $n) { edges { node { number payments { id status amount } } } } }"

    def count(n: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            data = gql(query, {"n": n}, user=customer)
        assert len(data["orders"]["edges"]) == n
        assert all(len(edge["node"]["payments"]) == 1 for edge in data["orders"]["edges"])
        return len(ctx.captured_queries)

    assert count(2) == count(5)
