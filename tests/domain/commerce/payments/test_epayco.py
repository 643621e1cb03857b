"""EPAYCO: the JS checkout's parameters (its signed confirmations: test_epayco_webhooks.py)."""

import pytest

from commerce.models import PaymentStatus
from commerce.payments.providers.epayco import epayco_signature
from commerce.settlement.services import payment_confirm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("epayco_settings")]


def test_session_is_the_js_checkout_parameters(epayco_payment, settings):
    action = epayco_payment.next_action
    assert action["type"] == "CLIENT_CHECKOUT"
    assert action["url"] is None and action["client_secret"] is None
    data = action["data"]
    assert data["key"] == "epayco-public"
    assert data["invoice"] == str(epayco_payment.reference)
    assert (data["amount"], data["currency"]) == ("119000.00", "cop")
    assert data["confirmation"] == f"{settings.PAYMENTS_PUBLIC_BASE_URL}/webhooks/payments/epayco/"
    assert "epayco-p-key-secret" not in str(action)
    assert epayco_payment.provider_reference == str(epayco_payment.reference)


def test_signature_is_sha256_of_the_caret_joined_fields():
    import hashlib

    fields = {"x_ref_payco": "1", "x_transaction_id": "2", "x_amount": "3.00", "x_currency_code": "COP"}
    expected = hashlib.sha256(b"cust^key^1^2^3.00^COP").hexdigest()
    assert epayco_signature(fields, cust_id="cust", p_key="key") == expected


def test_status_before_any_confirmation_asks_nobody(epayco_payment, http):
    assert payment_confirm(payment=epayco_payment).status == PaymentStatus.PENDING
    assert len(http.calls) == 0
