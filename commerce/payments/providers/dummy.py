"""DUMMY: a provider without money, for tests and demos.

It settles on `confirm` (the `confirmPayment` mutation). Magic amounts, by
their cents, simulate the unhappy paths:

- `.13` (e.g. 10.13): the card is declined, the payment becomes FAILED;
- `.66` (e.g. 10.66): the provider errors (`PAYMENT_PROVIDER_ERROR`), nothing changes.

Webhooks are JSON `{"id", "type", "reference", "amount", "currency"}` signed
with HMAC-SHA256 of the raw body under `PAYMENTS_DUMMY_WEBHOOK_SECRET`, hex in
the `X-Dummy-Signature` header; `type` is `payment.succeeded`,
`payment.failed` or `payment.cancelled`.
"""

import hashlib
import hmac
import json
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings

from commerce.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from commerce.payments.base import (
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    ProviderStatus,
    RefundResult,
    SessionResult,
    WebhookRequest,
    WebhookVerificationError,
)

DECLINE_CENTS = 13
ERROR_CENTS = 66

EVENT_STATUSES = {
    "payment.succeeded": PaymentStatus.SUCCEEDED,
    "payment.failed": PaymentStatus.FAILED,
    "payment.cancelled": PaymentStatus.CANCELLED,
}


def _cents(amount: Decimal) -> int:
    return int((amount * 100) % 100)


def dummy_signature(body: bytes, secret: str) -> str:
    """The `X-Dummy-Signature` of a webhook body (tests and demos sign with it)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DummyProvider(PaymentProvider):
    name = "dummy"
    method = PaymentMethod.DUMMY

    @classmethod
    def is_available(cls) -> bool:
        return settings.PAYMENTS_DUMMY_ENABLED

    def create_session(self, payment: Payment) -> SessionResult:
        reference = f"dummy_{payment.reference.hex}"
        return SessionResult(provider_reference=reference, next_action=None, raw={"id": reference})

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        # Nothing happens at a dummy provider on its own.
        return ProviderStatus(status=PaymentStatus(payment.status), raw={"status": payment.status})

    def confirm(self, payment: Payment) -> ProviderStatus:
        cents = _cents(payment.amount)
        if cents == ERROR_CENTS:
            raise ProviderError()
        if cents == DECLINE_CENTS:
            return ProviderStatus(
                status=PaymentStatus.FAILED, raw={"status": "declined"}, failure_reason="The card was declined."
            )
        return ProviderStatus(
            status=PaymentStatus.SUCCEEDED,
            raw={"status": "succeeded"},
            amount=payment.amount,
            currency=payment.currency,
        )

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        secret = settings.PAYMENTS_DUMMY_WEBHOOK_SECRET
        signature = request.headers.get("X-Dummy-Signature", "")
        if not secret or not signature:
            raise WebhookVerificationError("missing secret or signature")
        if not hmac.compare_digest(dummy_signature(request.body, secret), signature):
            raise WebhookVerificationError("bad signature")
        try:
            payload = json.loads(request.body)
            amount = Decimal(payload["amount"]) if payload.get("amount") is not None else None
            event_id, event_type = str(payload["id"]), str(payload["type"])
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise WebhookVerificationError("malformed body") from exc
        return ProviderEvent(
            provider=self.name,
            event_id=event_id,
            type=event_type,
            provider_reference=payload.get("reference"),
            status=EVENT_STATUSES.get(event_type),
            amount=amount,
            currency=payload.get("currency"),
            raw=payload,
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        if _cents(payment.amount) == ERROR_CENTS:
            raise ProviderError()
        reference = f"dummy_refund_{uuid.uuid4().hex}"
        return RefundResult(provider_reference=reference, status=RefundStatus.SUCCEEDED, raw={"id": reference})
