"""MAYA through the Maya Checkout API.

Creating a checkout (`POST /checkout/v1/checkouts`, public key) returns a
REDIRECT to Maya's hosted page; our payment's reference is the
`requestReferenceNumber`. Maya has no idempotency header for this call: a
retry opens a second checkout, which is harmless since the buyer only gets the
URL of the one we store.

Maya does not sign webhooks. Its rules are to accept them only from its
published source addresses and to confirm the status through the API, so a
webhook here is (1) refused unless it comes from `MAYA_WEBHOOK_IPS`, then (2)
never trusted for its content: we look the payment up with the secret key
(`GET /payments/v1/payments/<id>`) and act on Maya's answer only. A forged
webhook can at most make us re-read a real payment.
"""

import base64
import ipaddress
import json
from decimal import Decimal, InvalidOperation
from typing import Any

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
)
from commerce.payments.http import provider_request

PAYMENT_STATUSES = {
    "PAYMENT_SUCCESS": PaymentStatus.SUCCEEDED,
    "AUTHORIZED": PaymentStatus.AUTHORIZED,
    "PAYMENT_FAILED": PaymentStatus.FAILED,
    "AUTH_FAILED": PaymentStatus.FAILED,
    "PAYMENT_EXPIRED": PaymentStatus.CANCELLED,
    "PAYMENT_CANCELLED": PaymentStatus.CANCELLED,
    "VOIDED": PaymentStatus.CANCELLED,
    "REFUNDED": PaymentStatus.REFUNDED,
}


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _wire_amount(amount: Decimal) -> float:
    # Maya wants a JSON number; a 2-decimal amount of 12 digits survives the float exactly.
    return float(amount)


class MayaProvider(PaymentProvider):
    name = "maya"
    method = PaymentMethod.MAYA
    required_settings = ("MAYA_PUBLIC_KEY", "MAYA_SECRET_KEY")

    def __init__(self) -> None:
        self.base = settings.MAYA_API_BASE.rstrip("/")

    def _secret_headers(self) -> dict[str, str]:
        return {"Authorization": _basic(settings.MAYA_SECRET_KEY), "Content-Type": "application/json"}

    def create_session(self, payment: Payment) -> SessionResult:
        return_url = f"{settings.PAYMENTS_RETURN_URL}?payment={payment.reference}"
        body = provider_request(
            "POST",
            f"{self.base}/checkout/v1/checkouts",
            provider=self.name,
            headers={"Authorization": _basic(settings.MAYA_PUBLIC_KEY), "Content-Type": "application/json"},
            json={
                "totalAmount": {"value": _wire_amount(payment.amount), "currency": payment.currency},
                "items": [
                    {
                        "name": f"Order {payment.order.number}",
                        "quantity": 1,
                        "totalAmount": {"value": _wire_amount(payment.amount)},
                    }
                ],
                "requestReferenceNumber": str(payment.reference),
                "redirectUrl": {
                    "success": f"{return_url}&result=success",
                    "failure": f"{return_url}&result=failure",
                    "cancel": f"{return_url}&result=cancel",
                },
                "metadata": {"orderNumber": payment.order.number},
            },
        )
        if not body.get("checkoutId") or not body.get("redirectUrl"):
            raise ProviderError()
        return SessionResult(
            provider_reference=body["checkoutId"],
            next_action=NextAction(type=NextActionKind.REDIRECT, url=body["redirectUrl"]),
            raw=body,
        )

    def _lookup(self, maya_payment_id: str) -> dict[str, Any]:
        url = f"{self.base}/payments/v1/payments/{maya_payment_id}"
        return provider_request("GET", url, provider=self.name, headers=self._secret_headers())

    @staticmethod
    def _status_of(body: dict[str, Any]) -> ProviderStatus:
        try:
            amount = Decimal(str(body["amount"])) if body.get("amount") is not None else None
        except InvalidOperation as exc:
            raise ProviderError() from exc
        currency = body.get("currency")
        return ProviderStatus(
            status=PAYMENT_STATUSES.get(body.get("status", ""), PaymentStatus.PENDING),
            raw=body,
            amount=amount,
            currency=currency.upper() if currency else None,
        )

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        assert payment.provider_reference is not None, "only a payment opened at Maya has a status there"
        return self._status_of(self._lookup(payment.provider_reference))

    def _client_ip(self, request: WebhookRequest) -> str:
        if settings.MAYA_WEBHOOK_IP_HEADER:
            return request.headers.get(settings.MAYA_WEBHOOK_IP_HEADER, "").split(",")[-1].strip()
        return request.remote_addr

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        allowed = settings.MAYA_WEBHOOK_IPS
        if "*" not in allowed:
            try:
                client = ipaddress.ip_address(self._client_ip(request))
            except ValueError as exc:
                raise WebhookVerificationError("no usable source address") from exc
            if not any(client in ipaddress.ip_network(net, strict=False) for net in allowed):
                raise WebhookVerificationError(f"source {client} is not a Maya webhook address")
        try:
            payload = json.loads(request.body)
            maya_payment_id = str(payload["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookVerificationError("malformed body") from exc
        try:
            current = self._status_of(self._lookup(maya_payment_id))
        except ProviderError as exc:
            raise WebhookVerificationError("Maya does not confirm this payment") from exc
        state = current.raw.get("status", "")
        return ProviderEvent(
            provider=self.name,
            # One event per payment and state: a state Maya reports twice is a duplicate.
            event_id=f"{maya_payment_id}:{state}",
            type=state,
            provider_reference=maya_payment_id,
            status=current.status,
            amount=current.amount,
            currency=current.currency,
            raw={"webhook": payload, "lookup": current.raw},
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        body = provider_request(
            "POST",
            f"{self.base}/payments/v1/payments/{payment.provider_reference}/refunds",
            provider=self.name,
            headers=self._secret_headers(),
            json={
                "totalAmount": {"amount": _wire_amount(refund.amount), "currency": refund.currency},
                "reason": refund.reason or "Refund",
                "requestReferenceNumber": str(refund.reference),
            },
        )
        status = {"SUCCESS": RefundStatus.SUCCEEDED, "PENDING": RefundStatus.PENDING}.get(
            body.get("status", ""), RefundStatus.FAILED
        )
        return RefundResult(provider_reference=str(body.get("id", "")), status=status, raw=body)
