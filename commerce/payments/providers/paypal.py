"""PAYPAL through the Orders v2 REST API.

Authentication is OAuth client credentials (`/v1/oauth2/token`), the token
cached until shortly before it expires. Creating an order sends the payment's
reference as `PayPal-Request-Id` (PayPal's idempotency key) and returns a
REDIRECT to the buyer's approval page. After approval the order must be
captured: `confirm` captures an APPROVED order. Webhooks are verified by
PayPal itself (`/v1/notifications/verify-webhook-signature`) with the
`PAYPAL-*` transmission headers and our `PAYPAL_WEBHOOK_ID`; the event is
sent back byte for byte, as received.
"""

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache

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

ORDER_STATUSES = {
    "APPROVED": PaymentStatus.AUTHORIZED,
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "VOIDED": PaymentStatus.CANCELLED,
}
CAPTURE_STATUSES = {
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "DECLINED": PaymentStatus.FAILED,
    "FAILED": PaymentStatus.FAILED,
}
EVENT_STATUSES = {
    "CHECKOUT.ORDER.APPROVED": PaymentStatus.AUTHORIZED,
    "CHECKOUT.ORDER.VOIDED": PaymentStatus.CANCELLED,
    "PAYMENT.CAPTURE.COMPLETED": PaymentStatus.SUCCEEDED,
    "PAYMENT.CAPTURE.DENIED": PaymentStatus.FAILED,
    "PAYMENT.CAPTURE.DECLINED": PaymentStatus.FAILED,
}
TRANSMISSION_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}


def _money(value: dict[str, Any] | None) -> tuple[Decimal | None, str | None]:
    if not value:
        return None, None
    return Decimal(value["value"]), value["currency_code"].upper()


def _first_capture(order: dict[str, Any]) -> dict[str, Any] | None:
    for unit in order.get("purchase_units", []):
        captures = unit.get("payments", {}).get("captures", [])
        if captures:
            return captures[0]
    return None


class PayPalProvider(PaymentProvider):
    name = "paypal"
    method = PaymentMethod.PAYPAL
    required_settings = ("PAYPAL_CLIENT_ID", "PAYPAL_CLIENT_SECRET", "PAYPAL_WEBHOOK_ID")

    def __init__(self) -> None:
        self.base = settings.PAYPAL_API_BASE.rstrip("/")

    def _access_token(self) -> str:
        cache_key = f"payments:paypal:token:{settings.PAYPAL_CLIENT_ID}"
        token = cache.get(cache_key)
        if token:
            return token
        body = provider_request(
            "POST",
            f"{self.base}/v1/oauth2/token",
            provider=self.name,
            auth=(settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET),
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        token = body.get("access_token")
        if not token:
            raise ProviderError()
        cache.set(cache_key, token, max(int(body.get("expires_in", 0)) - 60, 0) or None)
        return token

    def _call(self, method: str, path: str, *, request_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._access_token()}", "Content-Type": "application/json"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        headers.update(kwargs.pop("headers", {}))
        return provider_request(method, f"{self.base}{path}", provider=self.name, headers=headers, **kwargs)

    def create_session(self, payment: Payment) -> SessionResult:
        return_url = f"{settings.PAYMENTS_RETURN_URL}?payment={payment.reference}"
        order = self._call(
            "POST",
            "/v2/checkout/orders",
            request_id=f"fmcore-payment-{payment.reference}",
            headers={"Prefer": "return=representation"},
            json={
                "intent": "CAPTURE",
                "purchase_units": [
                    {
                        "reference_id": payment.order.number,
                        "custom_id": str(payment.reference),
                        "invoice_id": str(payment.reference),
                        "amount": {"currency_code": payment.currency, "value": f"{payment.amount:.2f}"},
                    }
                ],
                "payment_source": {
                    "paypal": {
                        "experience_context": {
                            "user_action": "PAY_NOW",
                            "return_url": f"{return_url}&result=success",
                            "cancel_url": f"{return_url}&result=cancel",
                        }
                    }
                },
            },
        )
        approve = next(
            (link["href"] for link in order.get("links", []) if link.get("rel") in {"payer-action", "approve"}), None
        )
        if not order.get("id") or not approve:
            raise ProviderError()
        return SessionResult(
            provider_reference=order["id"],
            next_action=NextAction(type=NextActionKind.REDIRECT, url=approve),
            raw=order,
        )

    def _status_of(self, order: dict[str, Any]) -> ProviderStatus:
        capture = _first_capture(order)
        if capture:
            status = CAPTURE_STATUSES.get(capture.get("status", ""), PaymentStatus.PENDING)
            amount, currency = _money(capture.get("amount"))
            provider_data = {"capture_id": capture["id"]}
        else:
            status = ORDER_STATUSES.get(order.get("status", ""), PaymentStatus.PENDING)
            units = order.get("purchase_units") or [{}]
            amount, currency = _money(units[0].get("amount"))
            provider_data = {}
        return ProviderStatus(status=status, raw=order, amount=amount, currency=currency, provider_data=provider_data)

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        return self._status_of(self._call("GET", f"/v2/checkout/orders/{payment.provider_reference}"))

    def confirm(self, payment: Payment) -> ProviderStatus:
        current = self.fetch_status(payment)
        if current.raw.get("status") != "APPROVED":
            return current
        captured = self._call(
            "POST",
            f"/v2/checkout/orders/{payment.provider_reference}/capture",
            request_id=f"fmcore-capture-{payment.reference}",
            headers={"Prefer": "return=representation"},
            json={},
        )
        return self._status_of(captured)

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        fields = {name: request.headers.get(header, "") for name, header in TRANSMISSION_HEADERS.items()}
        if not all(fields.values()):
            raise WebhookVerificationError("missing PayPal transmission headers")
        try:
            event_text = request.body.decode()
            event = json.loads(event_text)
        except ValueError as exc:
            raise WebhookVerificationError("malformed body") from exc
        if not isinstance(event, dict) or not event.get("id"):
            raise WebhookVerificationError("malformed body")
        # PayPal checks its signature over the event exactly as it sent it, so
        # the body is spliced in verbatim rather than re-serialised.
        head = json.dumps({**fields, "webhook_id": settings.PAYPAL_WEBHOOK_ID})
        verify_body = head[:-1] + ', "webhook_event": ' + event_text + "}"
        try:
            answer = self._call("POST", "/v1/notifications/verify-webhook-signature", data=verify_body.encode())
        except ProviderError as exc:
            raise WebhookVerificationError("PayPal could not verify the webhook") from exc
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookVerificationError("PayPal rejected the signature")

        event_type = event.get("event_type", "")
        resource = event.get("resource") or {}
        provider_data: dict[str, Any] = {}
        if event_type.startswith("PAYMENT.CAPTURE."):
            reference = resource.get("supplementary_data", {}).get("related_ids", {}).get("order_id")
            amount, currency = _money(resource.get("amount"))
            provider_data["capture_id"] = resource.get("id")
        else:
            reference = resource.get("id")
            units = resource.get("purchase_units") or [{}]
            amount, currency = _money(units[0].get("amount"))
        return ProviderEvent(
            provider=self.name,
            event_id=event["id"],
            type=event_type,
            provider_reference=reference,
            status=EVENT_STATUSES.get(event_type),
            amount=amount,
            currency=currency,
            raw=event,
            provider_data=provider_data,
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        capture_id = payment.provider_data.get("capture_id") or self.fetch_status(payment).provider_data.get(
            "capture_id"
        )
        if not capture_id:
            raise ProviderError("This payment has not been captured at PayPal yet.")
        result = self._call(
            "POST",
            f"/v2/payments/captures/{capture_id}/refund",
            request_id=f"fmcore-refund-{refund.reference}",
            json={
                "amount": {"value": f"{refund.amount:.2f}", "currency_code": refund.currency},
                "invoice_id": str(refund.reference),
            },
        )
        status = {"COMPLETED": RefundStatus.SUCCEEDED, "PENDING": RefundStatus.PENDING}.get(
            result.get("status", ""), RefundStatus.FAILED
        )
        return RefundResult(provider_reference=result.get("id", ""), status=status, raw=result)
