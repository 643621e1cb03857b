"""MAYA Checkout: keys as Basic auth, sessions, confirmation by lookup, refunds
(its webhooks: test_maya_webhooks.py)."""

import base64
import json
from decimal import Decimal

import pytest
import responses

from accounts.principal import Principal
from commerce.models import PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderUnavailable
from commerce.payments.registry import method_availability
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund
from tests.domain.commerce.payments.provider_fakes import MAYA_API, MAYA_CHECKOUT_ID, maya_payment_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maya_settings")]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def test_create_uses_the_public_key_and_sends_amount_and_reference(maya_payment, http):
    (call,) = http.calls
    assert call.request.headers["Authorization"] == basic("pk-maya-public")
    sent = json.loads(call.request.body)
    assert sent["totalAmount"] == {"value": 250.0, "currency": "PHP"}
    assert sent["requestReferenceNumber"] == str(maya_payment.reference)
    assert set(sent["redirectUrl"]) == {"success", "failure", "cancel"}
    assert maya_payment.provider_reference == MAYA_CHECKOUT_ID
    assert maya_payment.next_action["type"] == "REDIRECT"
    assert maya_payment.next_action["url"].endswith(MAYA_CHECKOUT_ID)


def test_confirm_reads_the_payment_with_the_secret_key(maya_payment, http, settled):
    http.add(responses.GET, f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}", json=maya_payment_json())

    payment = payment_confirm(payment=maya_payment)

    assert http.calls[-1].request.headers["Authorization"] == basic("sk-maya-secret")
    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_refund_with_the_secret_key(maya_payment, http):
    http.add(responses.GET, f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}", json=maya_payment_json())
    payment = payment_confirm(payment=maya_payment)
    http.add(
        responses.POST,
        f"{MAYA_API}/payments/v1/payments/{MAYA_CHECKOUT_ID}/refunds",
        json={"id": "rf-1", "status": "SUCCESS"},
    )

    refund = payment_refund(principal=Principal.system(), payment=payment, amount=Decimal("50.00"), reason="late")

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
