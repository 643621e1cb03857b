"""PayPal's webhooks over HTTP, verified by PayPal (faked at its API): settled once,
refused unverified, a captured amount checked."""

import json

import pytest
import responses

from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus
from commerce.payments.base import ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from tests.domain.commerce.payments.provider_fakes import PAYPAL_API

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("paypal_settings")]


TRANSMISSION = {
    "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA",
    "HTTP_PAYPAL_CERT_URL": "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-1",
    "HTTP_PAYPAL_TRANSMISSION_ID": "tx-1",
    "HTTP_PAYPAL_TRANSMISSION_SIG": "c2lnbmF0dXJl",
    "HTTP_PAYPAL_TRANSMISSION_TIME": "2026-01-01T00:00:00Z",
}


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
        f"{PAYPAL_API}/v1/notifications/verify-webhook-signature",
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
        f"{PAYPAL_API}/v1/notifications/verify-webhook-signature",
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
        f"{PAYPAL_API}/v1/notifications/verify-webhook-signature",
        json={"verification_status": "SUCCESS"},
    )

    assert post_webhook("paypal", capture_event(value="1.00"), **TRANSMISSION).status_code == 200
    paypal_payment.refresh_from_db()
    assert paypal_payment.status == PaymentStatus.FAILED
    assert settled.calls == []


def test_without_credentials_paypal_is_unavailable(settings, make_order, post_webhook):
    settings.PAYPAL_WEBHOOK_ID = ""
    assert method_availability()[PaymentMethod.PAYPAL] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    assert post_webhook("paypal", capture_event(), **TRANSMISSION).status_code == 400
