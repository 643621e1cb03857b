"""Refunds (bounded by what was captured), staff cancellation of a PAID order,
and reconciliation of payments whose webhook never came."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import responses
from django.core.management import call_command
from django.utils import timezone

from commerce.models import OrderStatus, Payment, PaymentMethod, PaymentStatus, Product, RefundStatus, StockMovement
from tests.api.payments.operations import CONFIRM, INITIATE, REFUND
from tests.conftest import codes
from tests.factories import gid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]


def paid_order(gql, customer, place_order):
    order = place_order(customer)  # 2 x 10.00, stock 10 -> 8
    started = gql(INITIATE, {"orderId": gid("Order", order.pk)}, user=customer)["initiatePayment"]
    gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order, started["payment"]["id"]


def stock(product: Product) -> int:
    product.refresh_from_db()
    return product.stock_quantity


@pytest.mark.parametrize("amount", ["20.01", "0", "-5.00"])
def test_refund_is_bounded_by_the_captured_amount(gql, customer, staff, place_order, amount):
    order, payment_id = paid_order(gql, customer, place_order)

    result = gql(REFUND, {"id": payment_id, "amount": amount}, user=staff)["refundPayment"]

    assert codes(result) == ["INVALID_REFUND_AMOUNT"]
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    assert not payment.refunds.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_partial_refunds_add_up_to_the_captured_amount_and_no_more(gql, customer, staff, place_order, product):
    order, payment_id = paid_order(gql, customer, place_order)

    first = gql(REFUND, {"id": payment_id, "amount": "5.00", "reason": "dented"}, user=staff)["refundPayment"]
    too_much = gql(REFUND, {"id": payment_id, "amount": "15.01"}, user=staff)["refundPayment"]

    assert first["payment"] == {"id": payment_id, "status": "SUCCEEDED", "amount": "20.00", "refundedAmount": "5.00"}
    assert codes(too_much) == ["INVALID_REFUND_AMOUNT"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # partly refunded: still paid, stock stays sold
    assert stock(product) == 8
    refund = Payment.objects.get().refunds.get()
    assert (refund.amount, refund.status, refund.actor, refund.reason) == (
        Decimal("5.00"),
        RefundStatus.SUCCEEDED,
        staff,
        "dented",
    )


def test_full_refund_of_a_paid_order_cancels_it_and_restores_stock_once(
    gql, customer, staff, place_order, product, drain
):
    order, payment_id = paid_order(gql, customer, place_order)
    gql(REFUND, {"id": payment_id, "amount": "5.00"}, user=staff)

    rest = gql(REFUND, {"id": payment_id}, user=staff)["refundPayment"]
    drain()

    assert rest["payment"]["status"] == "REFUNDED" and rest["payment"]["refundedAmount"] == "20.00"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    change = order.history.get(to_status=OrderStatus.CANCELLED)
    assert change.actor == staff and change.note == "Payment refunded in full."
    assert stock(product) == 10
    assert StockMovement.objects.filter(product=product, delta=2).count() == 1
    assert Payment.objects.get().refunds.count() == 2  # the cancellation's refund task found nothing left
    assert codes(gql(REFUND, {"id": payment_id}, user=staff)["refundPayment"]) == ["PAYMENT_NOT_REFUNDABLE"]


def test_staff_cancel_of_a_paid_order_queues_and_records_a_refund_and_restores_stock_once(
    gql, customer, staff, place_order, product, drain, mailoutbox
):
    order, _ = paid_order(gql, customer, place_order)
    assert stock(product) == 8

    cancelled = gql(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "out of stock at the warehouse") {'
        " ... on OrderPayload { order { status payments { status refundedAmount } } } } }",
        {"id": gid("Order", order.pk)},
        user=staff,
    )["cancelOrder"]["order"]

    assert cancelled["status"] == "CANCELLED"
    assert cancelled["payments"] == [{"status": "SUCCEEDED", "refundedAmount": "0.00"}]  # queued, not yet run
    assert stock(product) == 10
    drain()
    drain()

    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("20.00"))
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_reference.startswith("dummy_refund_")
    assert refund.actor == staff and "out of stock at the warehouse" in refund.reason
    assert stock(product) == 10
    assert StockMovement.objects.filter(product=product, delta=2).count() == 1
    cancel_mails = [m for m in mailoutbox if "was cancelled" in m.subject]
    assert len(cancel_mails) == 1 and "refunded" in cancel_mails[0].body


def test_a_refund_provider_outage_is_retried_by_the_task(gql, customer, staff, place_order, product, webhook):
    """DUMMY refunds of a .66 amount fail: the task raises (Dramatiq retries), a FAILED refund is recorded,
    and the cancelled order keeps its restored stock."""
    from commerce.payments.base import ProviderError
    from commerce.payments.providers.dummy import dummy_signature
    from commerce.settlement.tasks import refund_order_payments
    from tests.domain.commerce.payments.provider_fakes import DUMMY_WEBHOOK_SECRET

    product.price = "10.33"  # 2 x 10.33 = 20.66
    product.save()
    order = place_order(customer)
    started = gql(INITIATE, {"orderId": gid("Order", order.pk)}, user=customer)["initiatePayment"]
    body = json.dumps(  # .66 errors on confirm too: the webhook settles it
        {
            "id": "evt_1",
            "type": "payment.succeeded",
            "reference": started["payment"]["providerReference"],
            "amount": "20.66",
            "currency": "USD",
        }
    ).encode()
    assert webhook("dummy", body, HTTP_X_DUMMY_SIGNATURE=dummy_signature(body, DUMMY_WEBHOOK_SECRET)).status_code == 200
    gql("mutation($id: ID!) { cancelOrder(orderId: $id) { __typename } }", {"id": gid("Order", order.pk)}, user=staff)

    with pytest.raises(ProviderError):
        refund_order_payments.fn(order.pk)

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
    assert payment.refunds.get().status == RefundStatus.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and stock(product) == 10


def test_customer_cannot_cancel_a_paid_order(gql, customer, place_order, product):
    order, _ = paid_order(gql, customer, place_order)
    result = gql(
        "mutation($id: ID!) { cancelOrder(orderId: $id) { ... on OperationInfo { messages { code } } } }",
        {"id": gid("Order", order.pk)},
        user=customer,
    )["cancelOrder"]
    assert codes(result) == ["INVALID_TRANSITION"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and stock(product) == 8
    assert not Payment.objects.get().refunds.exists()


# --- reconciliation ----------------------------------------------------------------------


STRIPE_API = "https://api.stripe.com/v1"


def _age(payment_id: str | int, minutes: int) -> None:
    from tests.factories import pk_of

    pk = pk_of(payment_id) if isinstance(payment_id, str) else payment_id
    Payment.objects.filter(pk=pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def _card_order(gql, customer, place_order, http):
    order = place_order(customer, method=PaymentMethod.CARD)
    http.add(
        responses.POST,
        f"{STRIPE_API}/checkout/sessions",
        json={"id": "cs_stuck", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_stuck"},
    )
    started = gql(INITIATE, {"orderId": gid("Order", order.pk)}, user=customer)["initiatePayment"]
    return order, started["payment"]["id"]


def _session(status: str, payment_status: str) -> dict:
    return {
        "id": "cs_stuck",
        "object": "checkout.session",
        "status": status,
        "payment_status": payment_status,
        "amount_total": 2000,
        "currency": "usd",
        "payment_intent": "pi_stuck",
    }


def test_reconcile_settles_a_payment_whose_webhook_never_came(
    gql, customer, place_order, stripe_settings, http, drain, mailoutbox, django_capture_on_commit_callbacks
):
    order, payment_id = _card_order(gql, customer, place_order, http)
    http.add(responses.GET, f"{STRIPE_API}/checkout/sessions/cs_stuck", json=_session("complete", "paid"))

    call_command("reconcile_payments", stdout=StringIO())  # too recent: nobody is asked
    assert not [c for c in http.calls if c.request.method == "GET"]

    _age(payment_id, 31)
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("reconcile_payments", stdout=out)
    drain()

    assert "1 settled" in out.getvalue()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert len([m for m in mailoutbox if "payment received" in m.subject]) == 1


def test_reconcile_actor_leaves_an_open_payment_and_fails_an_abandoned_one(
    gql, customer, place_order, stripe_settings, http, settings
):
    from commerce.settlement.tasks import reconcile_payments

    order, payment_id = _card_order(gql, customer, place_order, http)
    http.add(responses.GET, f"{STRIPE_API}/checkout/sessions/cs_stuck", json=_session("open", "unpaid"))
    _age(payment_id, 60)

    reconcile_payments.fn()
    assert Payment.objects.get().status == PaymentStatus.PENDING

    _age(payment_id, settings.PAYMENT_ABANDON_AFTER_HOURS * 60 + 1)
    reconcile_payments.fn()

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason.startswith("Abandoned")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED  # payable again
    retry = gql(INITIATE, {"orderId": gid("Order", order.pk), "method": "DUMMY"}, user=customer)["initiatePayment"]
    assert retry["__typename"] == "PaymentPayload"


def test_reconcile_survives_a_provider_outage(gql, customer, place_order, stripe_settings, http):
    from commerce.settlement.reconciliation import payments_reconcile

    _, payment_id = _card_order(gql, customer, place_order, http)
    http.add(responses.GET, f"{STRIPE_API}/checkout/sessions/cs_stuck", status=500, json={"error": {}})
    _age(payment_id, 60)

    report = payments_reconcile()

    assert (report.checked, report.errors) == (1, 1)
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_reconcile_skips_cod(gql, customer, place_order):
    from commerce.settlement.reconciliation import payments_reconcile

    order = place_order(customer, method=PaymentMethod.COD)
    started = gql(INITIATE, {"orderId": gid("Order", order.pk)}, user=customer)["initiatePayment"]
    _age(started["payment"]["id"], 60 * 48)

    assert payments_reconcile().checked == 0
    assert Payment.objects.get().status == PaymentStatus.PENDING
