"""DUMMY provider, COD, and the settlement rules every provider shares, through
the services: idempotent creation, exactly-once success, refunds (the webhook
endpoint's side is test_dummy_webhooks.py)."""

from decimal import Decimal

import pytest

from accounts.principal import Principal
from commerce.errors import (
    InvalidPaymentState,
    InvalidRefundAmount,
    OrderNotPayable,
    PaymentInProgress,
    PaymentNotRefundable,
)
from commerce.models import OrderStatus, Payment, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.sessions import payment_create
from commerce.settlement.services import (
    payment_cod_collect,
    payment_confirm,
    payment_refund,
)
from tests.domain.commerce.payments.provider_fakes import dummy_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]


def test_create_copies_amount_and_currency_from_the_order(make_order):
    order = make_order("42.50", currency="EUR")

    payment = payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="k1")

    assert (payment.amount, payment.currency) == (Decimal("42.50"), "EUR")
    assert payment.status == PaymentStatus.PENDING
    assert payment.provider == "dummy"
    assert payment.provider_reference == f"dummy_{payment.reference.hex}"
    assert payment.next_action is None
    assert payment.raw_payloads[0]["source"] == "session"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING  # the order side is phase 2's


def test_same_idempotency_key_returns_the_same_payment(make_order):
    order = make_order("10.13")  # DUMMY declines .13
    first = payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="same")
    again = payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="same")
    with pytest.raises(PaymentInProgress):  # another key while the first attempt is open
        payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="other")
    payment_confirm(payment=first)  # declined: the attempt is over
    other = payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="other")

    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Payment.objects.filter(order=order).count() == 2


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.COMPLETED])
def test_an_order_past_payment_gets_no_new_payment(make_order, status):
    order = make_order(status=status)
    with pytest.raises(OrderNotPayable):
        payment_create(order=order, method=PaymentMethod.DUMMY)
    assert not Payment.objects.exists()


def test_confirm_settles_once(make_order, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)

    payment = payment_confirm(payment=payment)
    payment_confirm(payment=payment)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.paid_at is not None
    assert settled.calls == [payment.pk]


def test_magic_amount_13_declines(make_order, settled):
    payment = payment_create(order=make_order("10.13"), method=PaymentMethod.DUMMY)

    payment = payment_confirm(payment=payment)

    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "The card was declined."
    assert payment.paid_at is None
    assert settled.calls == []


def test_magic_amount_66_is_a_provider_error_and_changes_nothing(make_order, settled):
    payment = payment_create(order=make_order("10.66"), method=PaymentMethod.DUMMY)

    with pytest.raises(ProviderError) as error:
        payment_confirm(payment=payment)

    assert error.value.code == "PAYMENT_PROVIDER_ERROR"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert settled.calls == []


def test_dummy_is_unavailable_when_switched_off(make_order, settings):
    settings.PAYMENTS_DUMMY_ENABLED = False
    with pytest.raises(ProviderUnavailable) as error:
        payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    assert error.value.code == "PAYMENT_METHOD_UNAVAILABLE"
    assert not Payment.objects.exists()


# --- the webhook endpoint ---------------------------------------------------------------


def test_webhook_needs_no_csrf_token(make_order, dummy_settings):
    from django.test import Client

    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, headers = dummy_event(payment)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/webhooks/payments/dummy/", data=body, content_type="application/json", **headers)

    assert response.status_code == 200


# --- cash on delivery ------------------------------------------------------------------------


def test_cod_opens_without_next_action_and_is_collected_once(make_order, staff, settled):
    payment = payment_create(order=make_order(method=PaymentMethod.COD), method=PaymentMethod.COD)
    assert payment.status == PaymentStatus.PENDING
    assert payment.next_action is None

    assert payment_confirm(payment=payment).status == PaymentStatus.PENDING  # nothing to ask anyone
    payment = payment_cod_collect(payment=payment, actor=staff)
    payment_cod_collect(payment=payment, actor=staff)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_only_cod_payments_are_collected(make_order):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    with pytest.raises(InvalidPaymentState):
        payment_cod_collect(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_cod_can_be_switched_off(make_order, settings):
    settings.PAYMENTS_COD_ENABLED = False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.COD)


# --- refunds ---------------------------------------------------------------------------------


def test_partial_then_full_refund(make_order, staff):
    payment = payment_confirm(payment=payment_create(order=make_order("30.00"), method=PaymentMethod.DUMMY))

    first = payment_refund(
        principal=Principal.for_user(staff), payment=payment, amount=Decimal("10.00"), reason="damaged"
    )
    payment.refresh_from_db()
    assert (first.status, payment.status, payment.refunded_amount) == (
        RefundStatus.SUCCEEDED,
        PaymentStatus.SUCCEEDED,
        Decimal("10.00"),
    )

    rest = payment_refund(principal=Principal.for_user(staff), payment=payment)
    payment.refresh_from_db()
    assert rest.amount == Decimal("20.00")
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("30.00"))


@pytest.mark.parametrize("amount", ["0", "-1", "30.01"])
def test_refund_amount_must_fit(make_order, amount):
    payment = payment_confirm(payment=payment_create(order=make_order("30.00"), method=PaymentMethod.DUMMY))
    with pytest.raises(InvalidRefundAmount):
        payment_refund(principal=Principal.system(), payment=payment, amount=Decimal(amount))
    payment.refresh_from_db()
    assert payment.refunded_amount == 0 and not payment.refunds.exists()


def test_unpaid_payment_is_not_refundable(make_order):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    with pytest.raises(PaymentNotRefundable):
        payment_refund(principal=Principal.system(), payment=payment)


def test_order_payments_refund_refunds_what_is_left_once(make_order):
    from commerce.settlement.services import order_payments_refund

    order = make_order("30.00")
    paid = payment_confirm(payment=payment_create(order=order, method=PaymentMethod.DUMMY))
    payment_refund(principal=Principal.system(), payment=paid, amount=Decimal("10.00"))
    pending = Payment.objects.create(  # another attempt, not settled: nothing to refund
        order=order, method=PaymentMethod.DUMMY, provider="dummy", amount=order.total, currency="USD"
    )

    (refund,) = order_payments_refund(order_id=order.pk, principal=Principal.system())
    again = order_payments_refund(order_id=order.pk, principal=Principal.system())

    paid.refresh_from_db()
    assert refund.amount == Decimal("20.00")
    assert (paid.status, paid.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("30.00"))
    assert again == []
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.PENDING and not pending.refunds.exists()
