"""Stripe's webhooks over HTTP, signatures computed for real: settled once, refused when
forged or stale, amounts and later events checked; a refund after a settled session."""

import time
from decimal import Decimal

import pytest
import responses

from accounts.principal import Principal
from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_refund
from tests.domain.commerce.payments.provider_fakes import STRIPE_API, form, session_json, stripe_signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


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
        f"{STRIPE_API}/payment_intents",
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
    http.add(responses.POST, f"{STRIPE_API}/refunds", json={"id": "re_1", "object": "refund", "status": "succeeded"})

    refund = payment_refund(principal=Principal.system(), payment=card_payment, amount=Decimal("5.00"))

    (call,) = http.calls
    assert call.request.headers["Idempotency-Key"] == f"fmcore-refund-{refund.reference}"
    sent = form(call)
    assert (sent["payment_intent"], sent["amount"]) == ("pi_9", "500")
    assert sent["metadata[refund_reference]"] == str(refund.reference)
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "re_1")
    card_payment.refresh_from_db()
    assert card_payment.refunded_amount == Decimal("5.00")
