"""MAYA Checkout: keys as Basic auth, webhooks accepted from Maya's addresses and confirmed by lookup."""

import base64
import json
from decimal import Decimal

import pytest
import responses

from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maya_settings")]

API = "https://pg-sandbox.paymaya.com"
CHECKOUT_ID = "cbb3255a-f333-450a-9037-d602d7f4ac07"
MAYA_IP = "13.229.160.234"


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def maya_payment_json(status="PAYMENT_SUCCESS", amount="250.00", currency="PHP"):
    return {"id": CHECKOUT_ID, "status": status, "amount": amount, "currency": currency, "isPaid": True}


@pytest.fixture
def maya_payment(make_order, http):
    http.add(
        responses.POST,
        f"{API}/checkout/v1/checkouts",
        json={
            "checkoutId": CHECKOUT_ID,
            "redirectUrl": f"https://payments-web-sandbox.paymaya.com/v2/checkout?id={CHECKOUT_ID}",
        },
    )
    payment = payment_create(order=make_order("250.00", currency="PHP"), method=PaymentMethod.MAYA)
    return payment


def test_create_uses_the_public_key_and_sends_amount_and_reference(maya_payment, http):
    (call,) = http.calls
    assert call.request.headers["Authorization"] == basic("pk-maya-public")
    sent = json.loads(call.request.body)
    assert sent["totalAmount"] == {"value": 250.0, "currency": "PHP"}
    assert sent["requestReferenceNumber"] == str(maya_payment.reference)
    assert set(sent["redirectUrl"]) == {"success", "failure", "cancel"}
    assert maya_payment.provider_reference == CHECKOUT_ID
    assert maya_payment.next_action["type"] == "REDIRECT"
    assert maya_payment.next_action["url"].endswith(CHECKOUT_ID)


def test_confirm_reads_the_payment_with_the_secret_key(maya_payment, http, settled):
    http.add(responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json())

    payment = payment_confirm(payment=maya_payment)

    assert http.calls[-1].request.headers["Authorization"] == basic("sk-maya-secret")
    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_webhook_from_maya_is_confirmed_by_lookup_and_applied_once(maya_payment, http, post_webhook, settled):
    http.add(responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json())
    body = json.dumps({"id": CHECKOUT_ID, "status": "PAYMENT_SUCCESS", "amount": "250.00"})

    first = post_webhook("maya", body, REMOTE_ADDR=MAYA_IP)
    second = post_webhook("maya", body, REMOTE_ADDR=MAYA_IP)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.SUCCEEDED
    assert PaymentEvent.objects.get().event_id == f"{CHECKOUT_ID}:PAYMENT_SUCCESS"
    assert settled.calls == [maya_payment.pk]


def test_webhook_from_another_address_is_400_without_lookup(maya_payment, http, post_webhook):
    http.calls.reset()
    body = json.dumps({"id": CHECKOUT_ID, "status": "PAYMENT_SUCCESS"})

    assert post_webhook("maya", body, REMOTE_ADDR="203.0.113.9").status_code == 400
    assert len(http.calls) == 0
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


def test_forged_success_is_settled_by_what_maya_says(maya_payment, http, post_webhook, settled):
    http.add(
        responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json(status="PAYMENT_FAILED")
    )
    body = json.dumps({"id": CHECKOUT_ID, "status": "PAYMENT_SUCCESS"})

    assert post_webhook("maya", body, REMOTE_ADDR=MAYA_IP).status_code == 200
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.FAILED
    assert settled.calls == []


def test_webhook_for_a_payment_maya_does_not_know_is_400(maya_payment, http, post_webhook):
    http.add(
        responses.GET,
        f"{API}/payments/v1/payments/{CHECKOUT_ID}",
        status=404,
        json={"code": "PY0009", "message": "Payment does not exist."},
    )

    assert post_webhook("maya", json.dumps({"id": CHECKOUT_ID}), REMOTE_ADDR=MAYA_IP).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_amount_mismatch_from_lookup_fails_the_payment(maya_payment, http, post_webhook):
    http.add(responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json(amount="25.00"))

    assert post_webhook("maya", json.dumps({"id": CHECKOUT_ID}), REMOTE_ADDR=MAYA_IP).status_code == 200
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.FAILED


def test_client_address_from_a_trusted_proxy_header(maya_payment, http, post_webhook, settings):
    settings.MAYA_WEBHOOK_IP_HEADER = "X-Real-IP"
    http.add(responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json())
    body = json.dumps({"id": CHECKOUT_ID})

    assert post_webhook("maya", body, REMOTE_ADDR=MAYA_IP).status_code == 400  # header missing
    assert post_webhook("maya", body, REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP=MAYA_IP).status_code == 200


def test_refund_with_the_secret_key(maya_payment, http):
    http.add(responses.GET, f"{API}/payments/v1/payments/{CHECKOUT_ID}", json=maya_payment_json())
    payment = payment_confirm(payment=maya_payment)
    http.add(
        responses.POST,
        f"{API}/payments/v1/payments/{CHECKOUT_ID}/refunds",
        json={"id": "rf-1", "status": "SUCCESS"},
    )

    refund = payment_refund(payment=payment, amount=Decimal("50.00"), reason="late")

    call = http.calls[-1]
    assert call.request.headers["Authorization"] == basic("sk-maya-secret")
    sent = json.loads(call.request.body)
    assert sent["totalAmount"] == {"amount": 50.0, "currency": "PHP"}
    assert sent["requestReferenceNumber"] == str(refund.reference)
    assert refund.status == RefundStatus.SUCCEEDED


def test_without_keys_maya_is_unavailable(settings, make_order):
    settings.MAYA_SECRET_KEY = ""
    assert method_availability()[PaymentMethod.MAYA] is False
    with pytest.raises(ProviderUnavailable):
        payment_create(order=make_order(), method=PaymentMethod.MAYA)
