"""PAYPAL through Orders v2: OAuth, idempotent create, capture on confirm, refunds
(its webhooks: test_paypal_webhooks.py)."""

import base64
import json
from decimal import Decimal

import pytest
import responses
from responses import matchers

from accounts.principal import Principal
from commerce.models import Payment, PaymentMethod, PaymentStatus, RefundStatus
from commerce.payments.base import ProviderError
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm, payment_refund
from tests.domain.commerce.payments.provider_fakes import PAYPAL_API, order_json

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("paypal_settings")]


def test_create_authenticates_and_sends_request_id_and_amount(make_order, paypal_http):
    paypal_http.add(responses.POST, f"{PAYPAL_API}/v2/checkout/orders", json=order_json())

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
    paypal_http.add(responses.POST, f"{PAYPAL_API}/v2/checkout/orders", json=order_json())
    payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    paypal_http.replace(responses.POST, f"{PAYPAL_API}/v2/checkout/orders", json={**order_json(), "id": "OTHER"})
    payment_create(order=make_order(), method=PaymentMethod.PAYPAL)

    token_calls = [c for c in paypal_http.calls if c.request.url.endswith("/v1/oauth2/token")]
    assert len(token_calls) == 1


def test_oauth_failure_is_a_provider_error(make_order, http):
    http.add(responses.POST, f"{PAYPAL_API}/v1/oauth2/token", status=401, json={"error": "invalid_client"})
    with pytest.raises(ProviderError):
        payment_create(order=make_order(), method=PaymentMethod.PAYPAL)
    assert Payment.objects.get().provider_reference is None


def test_confirm_captures_an_approved_order(paypal_payment, paypal_http, settled):
    order_id = paypal_payment.provider_reference
    paypal_http.add(responses.GET, f"{PAYPAL_API}/v2/checkout/orders/{order_id}", json=order_json(status="APPROVED"))
    captured = order_json(
        status="COMPLETED",
        captures=[{"id": "CAP-1", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "19.99"}}],
    )
    paypal_http.add(responses.POST, f"{PAYPAL_API}/v2/checkout/orders/{order_id}/capture", json=captured)

    payment = payment_confirm(payment=paypal_payment)

    capture_call = paypal_http.calls[-1]
    assert capture_call.request.headers["PayPal-Request-Id"] == f"fmcore-capture-{payment.reference}"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_data["capture_id"] == "CAP-1"
    assert settled.calls == [payment.pk]


def test_confirm_before_approval_changes_nothing(paypal_payment, paypal_http):
    order_id = paypal_payment.provider_reference
    paypal_http.add(responses.GET, f"{PAYPAL_API}/v2/checkout/orders/{order_id}", json=order_json())

    assert payment_confirm(payment=paypal_payment).status == PaymentStatus.PENDING
    assert not any(c.request.url.endswith("/capture") for c in paypal_http.calls)


def test_refund_uses_the_capture(paypal_payment, paypal_http):
    order_id = paypal_payment.provider_reference
    completed = order_json(
        status="COMPLETED",
        captures=[{"id": "CAP-1", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "19.99"}}],
    )
    paypal_http.add(responses.GET, f"{PAYPAL_API}/v2/checkout/orders/{order_id}", json=completed)
    payment = payment_confirm(payment=paypal_payment)
    paypal_http.add(
        responses.POST,
        f"{PAYPAL_API}/v2/payments/captures/CAP-1/refund",
        json={"id": "REF-1", "status": "COMPLETED"},
        match=[matchers.json_params_matcher({"amount": {"value": "4.99", "currency_code": "USD"}}, strict_match=False)],
    )

    refund = payment_refund(principal=Principal.system(), payment=payment, amount=Decimal("4.99"))

    assert paypal_http.calls[-1].request.headers["PayPal-Request-Id"] == f"fmcore-refund-{refund.reference}"
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "REF-1")
