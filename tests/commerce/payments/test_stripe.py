"""CARD through Stripe: the library's HTTP faked with `responses`, signatures computed for real."""

import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from commerce.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund
from tests.commerce.payments.conftest import STRIPE_SECRET, stripe_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

API = "https://api.stripe.com/v1"


def session_json(payment_reference="ref", **fields):
    return {
        "id": "cs_test_123",
        "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_123",
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": 1999,
        "currency": "usd",
        "payment_intent": None,
        "client_reference_id": payment_reference,
        **fields,
    }


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


@pytest.fixture
def card_payment(make_order, http):
    http.add(responses.POST, f"{API}/checkout/sessions", json=session_json())
    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.CARD, idempotency_key="k")
    http.calls.reset()
    return payment


def test_checkout_session_is_created_with_idempotency_key_minor_units_and_auth(make_order, http):
    http.add(responses.POST, f"{API}/checkout/sessions", json=session_json())
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
    http.add(responses.POST, f"{API}/checkout/sessions", json=session_json(currency="jpy", amount_total=1500))
    payment_create(order=make_order("1500.00", currency="JPY"), method=PaymentMethod.CARD)
    assert form(http.calls[0])["line_items[0][price_data][unit_amount]"] == "1500"


def test_payment_intent_flow_returns_a_client_secret(make_order, http, settings):
    settings.STRIPE_FLOW = "payment_intent"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_1"
    http.add(
        responses.POST,
        f"{API}/payment_intents",
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
    http.add(responses.POST, f"{API}/checkout/sessions", status=500, json={"error": {"message": "boom"}})
    with pytest.raises(ProviderError):
        payment_create(order=order, method=PaymentMethod.CARD, idempotency_key="retry")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING and payment.provider_reference is None

    http.replace(responses.POST, f"{API}/checkout/sessions", json=session_json())
    again = payment_create(order=order, method=PaymentMethod.CARD, idempotency_key="retry")

    assert again.pk == payment.pk and again.provider_reference == "cs_test_123"
    keys = {call.request.headers["Idempotency-Key"] for call in http.calls}
    assert keys == {f"fmcore-payment-{payment.reference}"}


def test_confirm_fetches_the_session_status(card_payment, http, settled):
    http.add(
        responses.GET,
        f"{API}/checkout/sessions/cs_test_123",
        json=session_json(status="complete", payment_status="paid", payment_intent="pi_9"),
    )

    payment = payment_confirm(payment=card_payment)

    assert http.calls[0].request.headers["Authorization"] == f"Bearer {STRIPE_SECRET}"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_data["payment_intent"] == "pi_9"
    assert settled.calls == [payment.pk]


def test_confirm_of_an_unpaid_session_changes_nothing(card_payment, http):
    http.add(responses.GET, f"{API}/checkout/sessions/cs_test_123", json=session_json())
    assert payment_confirm(payment=card_payment).status == PaymentStatus.PENDING


def test_expired_session_cancels(card_payment, http):
    http.add(responses.GET, f"{API}/checkout/sessions/cs_test_123", json=session_json(status="expired"))
    assert payment_confirm(payment=card_payment).status == PaymentStatus.CANCELLED


def completed_event(event_id="evt_1", **session):
    return {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": session_json(status="complete", payment_status="paid", payment_intent="pi_9", **session)},
    }


def test_signed_webhook_settles_once(card_payment, post_webhook, settled):
    body, signature = stripe_signed(completed_event())

    first = post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature)
    second = post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.SUCCEEDED
    assert card_payment.provider_data["payment_intent"] == "pi_9"
    assert PaymentEvent.objects.get().event_id == "evt_1"
    assert settled.calls == [card_payment.pk]


@pytest.mark.parametrize(
    "signature",
    [
        lambda body: stripe_signed({}, secret="whsec_other")[1],
        lambda body: stripe_signed({"id": "evt_other"})[1],
        lambda body: "t=1,v1=deadbeef",
        lambda body: "",
    ],
    ids=["wrong-secret", "other-body", "garbage", "empty"],
)
def test_bad_signature_is_400_and_changes_nothing(card_payment, post_webhook, signature, settled):
    body, _ = stripe_signed(completed_event())

    response = post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature(body))

    assert response.status_code == 400
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
    assert settled.calls == []


def test_missing_signature_header_is_400(card_payment, post_webhook):
    body, _ = stripe_signed(completed_event())
    assert post_webhook("stripe", body).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_stale_timestamp_is_400_even_with_a_valid_signature(card_payment, post_webhook):
    body, signature = stripe_signed(completed_event(), timestamp=int(time.time()) - 301)

    response = post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature)

    assert response.status_code == 400
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


def test_session_paid_for_another_amount_fails_the_payment(card_payment, post_webhook, settled):
    body, signature = stripe_signed(completed_event(amount_total=1))

    response = post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature)

    assert response.status_code == 200
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.FAILED
    assert settled.calls == []


def test_async_payment_failure_and_expiry_events(card_payment, post_webhook):
    event = {
        "id": "evt_f",
        "type": "checkout.session.async_payment_failed",
        "data": {"object": session_json(status="complete")},
    }
    body, signature = stripe_signed(event)
    assert post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    card_payment.refresh_from_db()
    assert card_payment.status == PaymentStatus.FAILED


def test_unhandled_event_types_are_recorded_and_acknowledged(card_payment, post_webhook):
    body, signature = stripe_signed({"id": "evt_c", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})
    assert post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    assert PaymentEvent.objects.get().outcome == PaymentEvent.Outcome.UNMATCHED


def test_payment_intent_webhook(make_order, http, settings, post_webhook):
    settings.STRIPE_FLOW = "payment_intent"
    http.add(
        responses.POST,
        f"{API}/payment_intents",
        json={"id": "pi_7", "object": "payment_intent", "client_secret": "pi_7_secret"},
    )
    payment = payment_create(order=make_order("12.34"), method=PaymentMethod.CARD)
    event = {
        "id": "evt_pi",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_7", "object": "payment_intent", "amount_received": 1234, "currency": "usd"}},
    }
    body, signature = stripe_signed(event)

    assert post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_refund_sends_minor_units_and_an_idempotency_key(card_payment, http, post_webhook):
    body, signature = stripe_signed(completed_event())
    post_webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature)
    card_payment.refresh_from_db()
    http.add(responses.POST, f"{API}/refunds", json={"id": "re_1", "object": "refund", "status": "succeeded"})

    refund = payment_refund(payment=card_payment, amount=Decimal("5.00"))

    (call,) = http.calls
    assert call.request.headers["Idempotency-Key"] == f"fmcore-refund-{refund.reference}"
    sent = form(call)
    assert (sent["payment_intent"], sent["amount"]) == ("pi_9", "500")
    assert sent["metadata[refund_reference]"] == str(refund.reference)
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "re_1")
    card_payment.refresh_from_db()
    assert card_payment.refunded_amount == Decimal("5.00")


def test_without_credentials_card_is_unavailable(settings, make_order):
    settings.STRIPE_SECRET_KEY = ""
    assert method_availability()[PaymentMethod.CARD] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.CARD)
    assert not Payment.objects.exists()
