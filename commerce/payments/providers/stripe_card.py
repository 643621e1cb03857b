"""CARD through Stripe, with the official `stripe` library.

Two flows (`STRIPE_FLOW`): `checkout` (default) opens a hosted Checkout
Session and returns a REDIRECT; `payment_intent` creates a PaymentIntent and
returns its CLIENT_SECRET for Stripe.js. Every create carries an
Idempotency-Key derived from our payment's reference. Webhooks are verified
by `stripe.Webhook.construct_event` (signature and timestamp tolerance).
"""

import json
import logging
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from commerce.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from commerce.payments.base import (
    NextAction,
    NextActionKind,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    ProviderStatus,
    RefundResult,
    SessionResult,
    WebhookRequest,
    WebhookVerificationError,
    from_minor_units,
    minor_units,
)

logger = logging.getLogger(__name__)

CHECKOUT_EVENTS = {
    "checkout.session.async_payment_succeeded": PaymentStatus.SUCCEEDED,
    "checkout.session.async_payment_failed": PaymentStatus.FAILED,
    "checkout.session.expired": PaymentStatus.CANCELLED,
}
INTENT_EVENTS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.amount_capturable_updated": PaymentStatus.AUTHORIZED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELLED,
}
INTENT_STATUSES = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "canceled": PaymentStatus.CANCELLED,
}
REFUND_STATUSES = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
}


def _session_paid(session: dict[str, Any]) -> bool:
    return session.get("payment_status") in {"paid", "no_payment_required"}


class StripeCardProvider(PaymentProvider):
    name = "stripe"
    method = PaymentMethod.CARD
    required_settings = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")

    def __init__(self) -> None:
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            http_client=stripe.RequestsClient(timeout=settings.PAYMENTS_HTTP_TIMEOUT),
            max_network_retries=0,
        )

    @property
    def flow(self) -> str:
        return settings.STRIPE_FLOW

    def _metadata(self, payment: Payment) -> dict[str, str]:
        return {"payment_reference": str(payment.reference), "order_number": payment.order.number}

    def create_session(self, payment: Payment) -> SessionResult:
        options: stripe.RequestOptions = {"idempotency_key": f"fmcore-payment-{payment.reference}"}
        amount = minor_units(payment.amount, payment.currency)
        try:
            if self.flow == "payment_intent":
                intent = self.client.v1.payment_intents.create(
                    params={
                        "amount": amount,
                        "currency": payment.currency.lower(),
                        "automatic_payment_methods": {"enabled": True},
                        "metadata": self._metadata(payment),
                    },
                    options=options,
                ).to_dict()
                if not intent.get("id") or not intent.get("client_secret"):
                    raise ProviderError()
                return SessionResult(
                    provider_reference=intent["id"],
                    next_action=NextAction(
                        type=NextActionKind.CLIENT_SECRET,
                        client_secret=intent["client_secret"],
                        data={"publishableKey": settings.STRIPE_PUBLISHABLE_KEY or None},
                    ),
                    raw=intent,
                )
            return_url = f"{settings.PAYMENTS_RETURN_URL}?payment={payment.reference}"
            session = self.client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": payment.currency.lower(),
                                "unit_amount": amount,
                                "product_data": {"name": f"Order {payment.order.number}"},
                            },
                        }
                    ],
                    "client_reference_id": str(payment.reference),
                    "metadata": self._metadata(payment),
                    "payment_intent_data": {"metadata": self._metadata(payment)},
                    "success_url": f"{return_url}&result=success",
                    "cancel_url": f"{return_url}&result=cancel",
                },
                options=options,
            ).to_dict()
        except stripe.StripeError as exc:
            logger.warning("stripe: create failed for payment %s: %s", payment.reference, exc)
            raise ProviderError() from exc
        if not session.get("id") or not session.get("url"):
            raise ProviderError()
        return SessionResult(
            provider_reference=session["id"],
            next_action=NextAction(type=NextActionKind.REDIRECT, url=session["url"]),
            raw=session,
        )

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        reference = payment.provider_reference
        assert reference is not None, "only a payment opened at Stripe has a status there"
        try:
            if reference.startswith("pi_"):
                intent = self.client.v1.payment_intents.retrieve(reference).to_dict()
                return ProviderStatus(
                    status=INTENT_STATUSES.get(intent["status"], PaymentStatus.PENDING),
                    raw=intent,
                    amount=from_minor_units(intent["amount"], intent["currency"]),
                    currency=intent["currency"].upper(),
                )
            session = self.client.v1.checkout.sessions.retrieve(reference).to_dict()
        except stripe.StripeError as exc:
            logger.warning("stripe: status fetch failed for payment %s: %s", payment.reference, exc)
            raise ProviderError() from exc
        if session.get("status") == "complete" and _session_paid(session):
            status = PaymentStatus.SUCCEEDED
        elif session.get("status") == "expired":
            status = PaymentStatus.CANCELLED
        else:
            status = PaymentStatus.PENDING
        return ProviderStatus(
            status=status,
            raw=session,
            amount=from_minor_units(session["amount_total"], session["currency"]),
            currency=session["currency"].upper(),
            provider_data={"payment_intent": session.get("payment_intent")},
        )

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        signature = request.headers.get("Stripe-Signature")
        if not signature:
            raise WebhookVerificationError("missing Stripe-Signature")
        try:
            stripe.Webhook.construct_event(
                request.body, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookVerificationError(str(exc)) from exc
        event = json.loads(request.body)
        event_type = event.get("type", "")
        obj = event.get("data", {}).get("object", {})
        status: PaymentStatus | None = None
        amount: Decimal | None = None
        provider_data: dict[str, Any] = {}
        if event_type.startswith("checkout.session."):
            if event_type == "checkout.session.completed":
                status = PaymentStatus.SUCCEEDED if _session_paid(obj) else None
            else:
                status = CHECKOUT_EVENTS.get(event_type)
            if obj.get("amount_total") is not None:
                amount = from_minor_units(obj["amount_total"], obj["currency"])
            if obj.get("payment_intent"):
                provider_data["payment_intent"] = obj["payment_intent"]
        elif event_type.startswith("payment_intent."):
            status = INTENT_EVENTS.get(event_type)
            key = {"payment_intent.succeeded": "amount_received"}.get(event_type, "amount")
            if status == PaymentStatus.AUTHORIZED:
                key = "amount_capturable"
            if obj.get(key) is not None:
                amount = from_minor_units(obj[key], obj["currency"])
        currency = obj.get("currency")
        return ProviderEvent(
            provider=self.name,
            event_id=event["id"],
            type=event_type,
            provider_reference=obj.get("id"),
            status=status,
            amount=amount,
            currency=currency.upper() if currency else None,
            raw=event,
            provider_data=provider_data,
        )

    def _payment_intent_id(self, payment: Payment) -> str:
        reference = payment.provider_reference
        assert reference is not None, "only a payment opened at Stripe is refunded there"
        if reference.startswith("pi_"):
            return reference
        if payment.provider_data.get("payment_intent"):
            return payment.provider_data["payment_intent"]
        intent = self.fetch_status(payment).provider_data.get("payment_intent")
        if not intent:
            raise ProviderError("This payment has not been charged at Stripe yet.")
        return intent

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        try:
            result = self.client.v1.refunds.create(
                params={
                    "payment_intent": self._payment_intent_id(payment),
                    "amount": minor_units(refund.amount, refund.currency),
                    "metadata": {"refund_reference": str(refund.reference)},
                },
                options={"idempotency_key": f"fmcore-refund-{refund.reference}"},
            ).to_dict()
        except stripe.StripeError as exc:
            logger.warning("stripe: refund failed for payment %s: %s", payment.reference, exc)
            raise ProviderError() from exc
        return RefundResult(
            provider_reference=result.get("id", ""),
            status=REFUND_STATUSES.get(result.get("status") or "", RefundStatus.FAILED),
            raw=result,
        )
