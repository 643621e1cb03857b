"""COD: cash on delivery.

Opening the payment asks nothing of anyone: the order is confirmed and staff
mark it PAID when the courier collects the cash (`payment_cod_collect`). There
are no webhooks; a refund is cash handed back, recorded here.
"""

from django.conf import settings

from commerce.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from commerce.payments.base import (
    PaymentProvider,
    ProviderEvent,
    ProviderStatus,
    RefundResult,
    SessionResult,
    WebhookRequest,
    WebhookVerificationError,
)


class CashOnDeliveryProvider(PaymentProvider):
    name = "cod"
    method = PaymentMethod.COD

    @classmethod
    def is_available(cls) -> bool:
        return settings.PAYMENTS_COD_ENABLED

    def create_session(self, payment: Payment) -> SessionResult:
        reference = f"cod_{payment.reference.hex}"
        return SessionResult(provider_reference=reference, next_action=None, raw={"id": reference})

    def fetch_status(self, payment: Payment) -> ProviderStatus:
        return ProviderStatus(status=PaymentStatus(payment.status), raw={"status": payment.status})

    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        raise WebhookVerificationError("cash on delivery has no webhooks")

    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        reference = f"cod_refund_{refund.reference.hex}"
        return RefundResult(provider_reference=reference, status=RefundStatus.SUCCEEDED, raw={"id": reference})
