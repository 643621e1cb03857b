"""PAYPAL through Orders v2: OAuth, idempotent create, capture on confirm, webhook verified by PayPal."""

import base64
import json
from decimal import Decimal

import pytest
import responses
from responses import matchers

from commerce.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("paypal_settings")]

API = "https://api-m.sandbox.paypal.com"
TRANSMISSION = {
    "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA",
    "HTTP_PAYPAL_CERT_URL": "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-1",
    "HTTP_PAYPAL_TRANSMISSION_ID": "tx-1",
    "HTTP_PAYPAL_TRANSMISSION_SIG": "c2lnbmF0dXJl",
    "HTTP_PAYPAL_TRANSMISSION_TIME": "2026-01-01T00:00:00Z",
}


def order_json(status="PAYER_ACTION_REQUIRED", captures=None, value="19.99"):
    unit = {"reference_id": "FM", "amount": {"currency_code": "USD", "value": value}}
    if captures is not None:
        unit["payments"] = {"captures": captures}
    return {
        "id": "5O190127TN364715T",
        "status": status,
        "purchase_units": [unit],
        "links": [{"rel": "payer-action", "href": "https://www.sandbox.paypal.com/checkoutnow?token=5O19"}],
    }


@pytest.fixture
def paypal_http(http):
    http.add(responses.POST, f"{API}/v1/oauth2/token", json={"access_token": "A21-token", "expires_in": 32400})
    return http


@pytest.fixture
def paypal_payment(make_order, paypal_http):
    paypal_http.add(responses.POST, f"{API}/v2/checkout/orders", json=order_json())
    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.PAYPAL)
    paypal_http.calls.reset()
    return payment


def test_create_authenticates_and_sends_request_id_and_amount(make_order, paypal_http):
    paypal_http.add(responses.POST, f"{API}/v2/checkout/orders", json=order_json())

    payment = payment_create(order=make_order("19.99"), method=PaymentMethod.PAYPAL)

    token_call, create_call = paypal_http.calls
    expected_basic = base64.b64encode(b"paypal-client:paypal-secret").decode()
    assert token_call.request.headers["Authorization"] == f"Basic {expected_basic}"
    assert token_call.request.body == "grant_type=client_credentials"
    assert create_call.request.headers["Authorization"] == "Bearer A21-token"
    assert create_call.request.headers["PayPal-Request-Id"] == f"fmcore-payment-{payment.reference}"
    sent = json.loads(create_call.request.body)
    assert sent["intent"] == "CAPTURE"
    assert sent["purchase_units"][0]["amount"] == {"currency_code": "USD", "value": "19.99"}
    assert sent["purchase_units"][0]["custom_id"] == str(payment.reference)
    assert payment.provider_reference == "5O190127TN364715T"
    assert payment.next_action["type"] == "REDIRECT"
    assert payment.next_action["url"] == "https://www.sandbox.paypal.com/checkoutnow?token=5O19"


def test_the_oauth_token_is_reused(make_order, paypal_http):
    paypal_http.add(responses.POST, f"{API}/v2/checkout/orders", json=order_json())
    payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    paypal_http.replace(responses.POST, f"{API}/v2/checkout/orders", json={**order_json(), "id": "OTHER"})
    payment_create(order=make_order(), method=PaymentMethod.PAYPAL)

    token_calls = [c for c in paypal_http.calls if c.request.url.endswith("/v1/oauth2/token")]
    assert len(token_calls) == 1


def test_oauth_failure_is_a_provider_error(make_order, http):
    http.add(responses.POST, f"{API}/v1/oauth2/token", status=401, json={"error": "invalid_client"})
    with pytest.raises(ProviderError):
        payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    assert Payment.objects.get().provider_reference is None


def test_confirm_captures_an_approved_order(paypal_payment, paypal_http, settled):
    order_id = paypal_payment.provider_reference
    paypal_http.add(responses.GET, f"{API}/v2/checkout/orders/{order_id}", json=order_json(status="APPROVED"))
    captured = order_json(
        status="COMPLETED",
        captures=[{"id": "CAP-1", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "19.99"}}],
    )
    paypal_http.add(responses.POST, f"{API}/v2/checkout/orders/{order_id}/capture", json=captured)

    payment = payment_confirm(payment=paypal_payment)

    capture_call = paypal_http.calls[-1]
    assert capture_call.request.headers["PayPal-Request-Id"] == f"fmcore-capture-{payment.reference}"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_data["capture_id"] == "CAP-1"
    assert settled.calls == [payment.pk]


def test_confirm_before_approval_changes_nothing(paypal_payment, paypal_http):
    order_id = paypal_payment.provider_reference
    paypal_http.add(responses.GET, f"{API}/v2/checkout/orders/{order_id}", json=order_json())

    assert payment_confirm(payment=paypal_payment).status == PaymentStatus.PENDING
    assert not any(c.request.url.endswith("/capture") for c in paypal_http.calls)


def capture_event(event_id="WH-1", value="19.99", order_id="5O190127TN364715T"):
    return json.dumps(
        {
            "id": event_id,
            "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": {
                "id": "CAP-1",
                "status": "COMPLETED",
                "amount": {"currency_code": "USD", "value": value},
                "supplementary_data": {"related_ids": {"order_id": order_id}},
            },
        },
        indent=1,  # not compact: PayPal must get the body back byte for byte
    )


def test_webhook_verified_by_paypal_settles_once(paypal_payment, paypal_http, post_webhook, settled):
    paypal_http.add(
        responses.POST,
        f"{API}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "SUCCESS"},
    )
    body = capture_event()

    first = post_webhook("paypal", body, **TRANSMISSION)
    second = post_webhook("paypal", body, **TRANSMISSION)

    assert (first.status_code, second.status_code) == (200, 200)
    verify = next(c for c in paypal_http.calls if "verify-webhook-signature" in c.request.url)
    assert verify.request.headers["Authorization"] == "Bearer A21-token"
    sent_text = verify.request.body.decode()
    assert sent_text.endswith('"webhook_event": ' + body + "}")
    sent = json.loads(sent_text)
    assert sent["webhook_id"] == "WH-FMCORE-1"
    assert sent["transmission_sig"] == "c2lnbmF0dXJl"
    assert sent["cert_url"].endswith("CERT-1")
    paypal_payment.refresh_from_db()
    assert paypal_payment.status == PaymentStatus.SUCCEEDED
    assert paypal_payment.provider_data["capture_id"] == "CAP-1"
    assert PaymentEvent.objects.count() == 1
    assert settled.calls == [paypal_payment.pk]


def test_webhook_paypal_does_not_verify_is_400(paypal_payment, paypal_http, post_webhook):
    paypal_http.add(
        responses.POST,
        f"{API}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "FAILURE"},
    )

    assert post_webhook("paypal", capture_event(), **TRANSMISSION).status_code == 400
    paypal_payment.refresh_from_db()
    assert paypal_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


def test_webhook_without_transmission_headers_is_400_without_asking_paypal(paypal_payment, paypal_http, post_webhook):
    headers = {k: v for k, v in TRANSMISSION.items() if k != "HTTP_PAYPAL_TRANSMISSION_SIG"}

    assert post_webhook("paypal", capture_event(), **headers).status_code == 400
    assert len(paypal_http.calls) == 0
    assert not PaymentEvent.objects.exists()


def test_captured_amount_mismatch_fails_the_payment(paypal_payment, paypal_http, post_webhook, settled):
    paypal_http.add(
        responses.POST,
        f"{API}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "SUCCESS"},
    )

    assert post_webhook("paypal", capture_event(value="1.00"), **TRANSMISSION).status_code == 200
    paypal_payment.refresh_from_db()
    assert paypal_payment.status == PaymentStatus.FAILED
    assert settled.calls == []


def test_refund_uses_the_capture(paypal_payment, paypal_http):
    order_id = paypal_payment.provider_reference
    completed = order_json(
        status="COMPLETED",
        captures=[{"id": "CAP-1", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "19.99"}}],
    )
    paypal_http.add(responses.GET, f"{API}/v2/checkout/orders/{order_id}", json=completed)
    payment = payment_confirm(payment=paypal_payment)
    paypal_http.add(
        responses.POST,
        f"{API}/v2/payments/captures/CAP-1/refund",
        json={"id": "REF-1", "status": "COMPLETED"},
        match=[matchers.json_params_matcher({"amount": {"value": "4.99", "currency_code": "USD"}}, strict_match=False)],
    )

    refund = payment_refund(payment=payment, amount=Decimal("4.99"))

    assert paypal_http.calls[-1].request.headers["PayPal-Request-Id"] == f"fmcore-refund-{refund.reference}"
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "REF-1")


def test_without_credentials_paypal_is_unavailable(settings, make_order, post_webhook):
    settings.PAYPAL_WEBHOOK_ID = ""
    assert method_availability()[PaymentMethod.PAYPAL] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    assert post_webhook("paypal", capture_event(), **TRANSMISSION).status_code == 400
