"""CARD through Stripe: the library's HTTP faked with `responses` (its webhooks: test_stripe_webhooks.py)."""

import pytest
import responses

from commerce.models import Payment, PaymentMethod, PaymentStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm
from tests.domain.commerce.payments.provider_fakes import STRIPE_API, STRIPE_SECRET, form, session_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


def test_checkout_session_is_created_with_idempotency_key_minor_units_and_auth(make_order, http):
    http.add(responses.POST, f"{STRIPE_API}/checkout/sessions", json=session_json())
    order = make_order("19.99")

    payment = payment_create(order=order, method=PaymentMethod.CARD)

    (call,) = http.calls
    assert call.request.headers["Authorization"] == f"Bearer {STRIPE_SECRET}"
    assert call.request.headers["Idempotency-Key"] == f"fmcore-payment-{payment.reference}"
    sent = form(call)
    assert sent["line_items[0][price_data][unit_amount]"] == "1999"
    assert sent["line_items[0][price_data][currency]"] == "usd"
    assert sent["mode"] == "payment"
    assert sent["metadata[payment_reference]"] == str(payment.reference)
    assert sent["metadata[order_number]"] == order.number
    assert payment.provider == "stripe"
    assert payment.provider_reference == "cs_test_123"
    assert payment.next_action == {
        "type": "REDIRECT",
        "url": "https://checkout.stripe.com/c/pay/cs_test_123",
        "client_secret": None,
        "data": None,
    }


def test_zero_decimal_currency_is_sent_as_is(make_order, http):
    http.add(responses.POST, f"{STRIPE_API}/checkout/sessions", json=session_json(currency="jpy", amount_total=1500))
    payment_create(order=make_order("1500.00", currency="JPY"), method=PaymentMethod.CARD)
    assert form(http.calls[0])["line_items[0][price_data][unit_amount]"] == "1500"


def test_payment_intent_flow_returns_a_client_secret(make_order, http, settings):
    settings.STRIPE_FLOW = "payment_intent"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_1"
    http.add(
        responses.POST,
        f"{STRIPE_API}/payment_intents",
        json={"id": "pi_123", "object": "payment_intent", "client_secret": "pi_123_secret_x", "status": "x"},
    )

    payment = payment_create(order=make_order("5.00"), method=PaymentMethod.CARD)

    (call,) = http.calls
    assert call.request.headers["Idempotency-Key"] == f"fmcore-payment-{payment.reference}"
    assert form(call)["amount"] == "500"
    assert payment.provider_reference == "pi_123"
    assert payment.next_action["type"] == "CLIENT_SECRET"
    assert payment.next_action["client_secret"] == "pi_123_secret_x"


def test_stripe_error_leaves_the_payment_pending_and_a_retry_reuses_the_key(make_order, http):
    order = make_order()
    http.add(responses.POST, f"{STRIPE_API}/checkout/sessions", status=500, json={"error": {"message": "boom"}})
    with pytest.raises(ProviderError):
        payment_create(order=order, method=PaymentMethod.CARD, idempotency_key="retry")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING and payment.provider_reference is None

    http.replace(responses.POST, f"{STRIPE_API}/checkout/sessions", json=session_json())
    again = payment_create(order=order, method=PaymentMethod.CARD, idempotency_key="retry")

    assert again.pk == payment.pk and again.provider_reference == "cs_test_123"
    keys = {call.request.headers["Idempotency-Key"] for call in http.calls}
    assert keys == {f"fmcore-payment-{payment.reference}"}


def test_confirm_fetches_the_session_status(card_payment, http, settled):
    http.add(
        responses.GET,
        f"{STRIPE_API}/checkout/sessions/cs_test_123",
        json=session_json(status="complete", payment_status="paid", payment_intent="pi_9"),
    )

    payment = payment_confirm(payment=card_payment)

    assert http.calls[0].request.headers["Authorization"] == f"Bearer {STRIPE_SECRET}"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_data["payment_intent"] == "pi_9"
    assert settled.calls == [payment.pk]


def test_confirm_of_an_unpaid_session_changes_nothing(card_payment, http):
    http.add(responses.GET, f"{STRIPE_API}/checkout/sessions/cs_test_123", json=session_json())
    assert payment_confirm(payment=card_payment).status == PaymentStatus.PENDING


def test_expired_session_cancels(card_payment, http):
    http.add(responses.GET, f"{STRIPE_API}/checkout/sessions/cs_test_123", json=session_json(status="expired"))
    assert payment_confirm(payment=card_payment).status == PaymentStatus.CANCELLED


def test_without_credentials_card_is_unavailable(settings, make_order):
    settings.STRIPE_SECRET_KEY = ""
    assert method_availability()[PaymentMethod.CARD] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.CARD)
    assert not Payment.objects.exists()
