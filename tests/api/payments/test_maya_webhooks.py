"""Maya's webhooks over HTTP, accepted from Maya's addresses and confirmed by lookup."""

import json

import pytest
import responses

from commerce.models import PaymentEvent, PaymentStatus
from tests.domain.commerce.payments.provider_fakes import MAYA_API, MAYA_CHECKOUT_ID, maya_payment_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maya_settings")]


MAYA_IP = "13.229.160.234"


def test_webhook_from_maya_is_confirmed_by_lookup_and_applied_once(maya_payment, http, post_webhook, settled):
    http.add(responses.GET, f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}", json=maya_payment_json())
    body = json.dumps({"id": MAYA_CHECKOUT_ID, "status": "PAYMENT_SUCCESS", "amount": "250.00"})

    first = post_webhook("maya", body, REMOTE_ADDR=MAYA_IP)
    second = post_webhook("maya", body, REMOTE_ADDR=MAYA_IP)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["duplicate"] is True
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.SUCCEEDED
    assert PaymentEvent.objects.get().event_id == f"{MAYA_CHECKOUT_ID}:PAYMENT_SUCCESS"
    assert settled.calls == [maya_payment.pk]


def test_webhook_from_another_address_is_400_without_lookup(maya_payment, http, post_webhook):
    http.calls.reset()
    body = json.dumps({"id": MAYA_CHECKOUT_ID, "status": "PAYMENT_SUCCESS"})

    assert post_webhook("maya", body, REMOTE_ADDR="203.0.113.9").status_code == 400
    assert len(http.calls) == 0
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


def test_forged_success_is_settled_by_what_maya_says(maya_payment, http, post_webhook, settled):
    http.add(
        responses.GET,
        f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}",
        json=maya_payment_json(status="PAYMENT_FAILED"),
    )
    body = json.dumps({"id": MAYA_CHECKOUT_ID, "status": "PAYMENT_SUCCESS"})

    assert post_webhook("maya", body, REMOTE_ADDR=MAYA_IP).status_code == 200
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.FAILED
    assert settled.calls == []


def test_webhook_for_a_payment_maya_does_not_know_is_400(maya_payment, http, post_webhook):
    http.add(
        responses.GET,
        f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}",
        status=404,
        json={"code": "PY0009", "message": "Payment does not exist."},
    )

    assert post_webhook("maya", json.dumps({"id": MAYA_CHECKOUT_ID}), REMOTE_ADDR=MAYA_IP).status_code == 400
    assert not PaymentEvent.objects.exists()


def test_amount_mismatch_from_lookup_fails_the_payment(maya_payment, http, post_webhook):
    http.add(
        responses.GET, f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}", json=maya_payment_json(amount="25.00")
    )

    assert post_webhook("maya", json.dumps({"id": MAYA_CHECKOUT_ID}), REMOTE_ADDR=MAYA_IP).status_code == 200
    maya_payment.refresh_from_db()
    assert maya_payment.status == PaymentStatus.FAILED


def test_client_address_from_a_trusted_proxy_header(maya_payment, http, post_webhook, settings):
    settings.MAYA_WEBHOOK_IP_HEADER = "X-Real-IP"
    http.add(responses.GET, f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}", json=maya_payment_json())
    body = json.dumps({"id": MAYA_CHECKOUT_ID})

    assert post_webhook("maya", body, REMOTE_ADDR=MAYA_IP).status_code == 400  # header missing
    assert post_webhook("maya", body, REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP=MAYA_IP).status_code == 200
