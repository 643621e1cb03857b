"""What the providers' APIs answer, as the payment tests fake them at the HTTP boundary."""

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

from commerce.models import Payment
from commerce.payments.providers.dummy import dummy_signature

STRIPE_SECRET = "sk_test_fmcore"
STRIPE_WEBHOOK_SECRET = "whsec_fmcore_test"
DUMMY_WEBHOOK_SECRET = "dummy-webhook-secret"


def stripe_signed(payload: dict, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None):
    """A webhook body and its Stripe-Signature header, computed as Stripe does."""
    body = json.dumps(payload)
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


STRIPE_API = "https://api.stripe.com/v1"


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


PAYPAL_API = "https://api-m.sandbox.paypal.com"


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


MAYA_API = "https://pg-sandbox.paymaya.com"
MAYA_CHECKOUT_ID = "cbb3255a-f333-450a-9037-d602d7f4ac07"


def maya_payment_json(status="PAYMENT_SUCCESS", amount="250.00", currency="PHP"):
    return {"id": MAYA_CHECKOUT_ID, "status": status, "amount": amount, "currency": currency, "isPaid": True}


def dummy_event(payment: Payment, *, event_id="evt_1", type="payment.succeeded", amount=None, currency=None):
    body = json.dumps(
        {
            "id": event_id,
            "type": type,
            "reference": payment.provider_reference,
            "amount": str(payment.amount if amount is None else amount),
            "currency": currency or payment.currency,
        }
    ).encode()
    return body, {"HTTP_X_DUMMY_SIGNATURE": dummy_signature(body, DUMMY_WEBHOOK_SECRET)}
