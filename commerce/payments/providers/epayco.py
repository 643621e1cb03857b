"""EPAYCO through ePayco's standard checkout, as SmartMart used it.

The buyer pays in ePayco's JavaScript checkout: `create_session` returns a
CLIENT_CHECKOUT next action whose `data` are the checkout's parameters (public
key only), with our payment's reference as the invoice and this API's webhook
as the confirmation URL.

ePayco posts the confirmation (form fields `x_*`) to the webhook. It is
genuine when `x_signature` equals SHA-256 of
`p_cust_id_cliente^p_key^x_ref_payco^x_transaction_id^x_amount^x_currency_code`
(compared in constant time); the amount is then checked against the payment
by the settlement service, since the buyer's browser sets the checkout amount.

Refunds are not offered by the standard checkout's API: they are made in the
ePayco dashboard, and `refund` says so.
"""

import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings

from commerce.models import Payment, PaymentMethod, PaymentStatus, Refund
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

# x_cod_transaction_state
TRANSACTION_STATES = {
    "1": PaymentStatus.SUCCEEDED,  # Aceptada
    "2": PaymentStatus.FAILED,  # Rechazada
    "3": PaymentStatus.PENDING,  # Pendiente
    "4": PaymentStatus.FAILED,  # Fallida
    "6": PaymentStatus.REFUNDED,  # Reversada
    "7": PaymentStatus.PENDING,  # Retenida
    "8": PaymentStatus.PENDING,  # Iniciada
    "9": PaymentStatus.CANCELLED,  # Expirada
    "10": PaymentStatus.CANCELLED,  # Abandonada
    "11": PaymentStatus.CANCELLED,  # Cancelada
    "12": PaymentStatus.FAILED,  # Antifraude
}
SIGNED_FIELDS = ("x_ref_payco", "x_transaction_id", "x_amount", "x_currency_code")


def epayco_signature(fields: dict[str, Any], *, cust_id: str, p_key: str) -> str:
    """SHA-256 hex of `p_cust_id_cliente^p_key^x_ref_payco^x_transaction_id^x_amount^x_currency_code`."""
    parts = [cust_id, p_key, *(str(fields.get(name, "")) for name in SIGNED_FIELDS)]
    return hashlib.sha256("^".join(parts).encode()).hexdigest()


def _signature_valid(fields: dict[str, Any]) -> bool:
    expected = epayco_signature(fields, cust_id=settings.EPAYCO_CUST_ID, p_key=settings.EPAYCO_P_KEY)
    return hmac.compare_digest(expected, str(fields.get("x_signature", "")))


def _amount(fields: dict[str, Any]) -> Decimal | None:
    try:
        return Decimal(str(fields["x_amount"])).quantize(Decimal("0.01"))
    except (KeyError, InvalidOperation):
        return None


class EpaycoProvider(PaymentProvider):
    name = "epayco"
    method = PaymentMethod.EPAYCO
    required_settings = ("EPAYCO_CUST_ID", "EPAYCO_P_KEY", "EPAYCO_PUBLIC_KEY")

    def create_session(self, payment: Payment) -> SessionResult:
        reference = str(payment.reference)
        data = {
            "key": settings.EPAYCO_PUBLIC_KEY,
            "test": settings.EPAYCO_TEST,
            "name": f"Order {payment.order.number}",
            "description": f"Order {payment.order.number}",
            "invoice": reference,
            "currency": payment.currency.lower(),
            "amount": f"{payment.amount:.2f}",
            "tax_base": "0",
            "tax": "0",
            "external": "false",
            "extra1": reference,
            "confirmation": f"{settings.PAYMENTS_PUBLIC_BASE_URL}/webhooks/payments/{self.name}/",
            "response": f"{settings.PAYMENTS_RETURN_URL}?payment={reference}",
        }
        return SessionResult(
            provider_reference=reference,
            next_action=NextAction(type=NextActionKind.CLIENT_CHECKOUT, data=data),
            raw={"checkout": data},
        )

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        ref_payco = payment.provider_data.get("ref_payco")
        if not ref_payco:
            # ePayco has not told us its reference yet: nothing to ask about.
            return ProviderStatus(status=PaymentStatus(payment.status), raw={})
        body = provider_request("GET", f"{settings.EPAYCO_VALIDATION_URL}{ref_payco}", provider=self.name)
        fields = body.get("data") or {}
        if not body.get("success") or not isinstance(fields, dict) or not _signature_valid(fields):
            raise ProviderError()
        return ProviderStatus(
            status=TRANSACTION_STATES.get(str(fields.get("x_cod_transaction_state")), PaymentStatus.PENDING),
            raw=body,
            amount=_amount(fields),
            currency=str(fields.get("x_currency_code", "")).upper() or None,
        )

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        try:
            text = request.body.decode()
            fields: dict[str, Any] = json.loads(text) if text.lstrip().startswith("{") else dict(parse_qsl(text))
        except ValueError as exc:
            raise WebhookVerificationError("malformed body") from exc
        if not isinstance(fields, dict) or not fields.get("x_signature") or not fields.get("x_ref_payco"):
            raise WebhookVerificationError("missing signature")
        if not _signature_valid(fields):
            raise WebhookVerificationError("bad signature")
        state = str(fields.get("x_cod_transaction_state", ""))
        return ProviderEvent(
            provider=self.name,
            # ePayco resends a confirmation until answered; each state of a transaction is one event.
            event_id=f"{fields['x_ref_payco']}:{state}",
            type=f"transaction.{state}",
            provider_reference=fields.get("x_id_invoice") or fields.get("x_extra1"),
            status=TRANSACTION_STATES.get(state),
            amount=_amount(fields),
            currency=str(fields.get("x_currency_code", "")).upper() or None,
            raw=fields,
            provider_data={"ref_payco": fields["x_ref_payco"]},
        )

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        raise ProviderError("ePayco payments are refunded from the ePayco dashboard.")
