"""Where a payment stands, in the provider's words: asked of the provider, said by
the courier who collected the cash, or given up on. Applied by `commerce.settlement`."""

from commerce.errors import InvalidPaymentState
from commerce.models import Payment, PaymentMethod, PaymentStatus
from commerce.payments.base import ProviderStatus
from commerce.payments.registry import provider_by_name

UNSETTLED = (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.FAILED)


def payment_provider_confirm(*, payment: Payment) -> ProviderStatus | None:
    """Ask the provider where the payment stands, completing it where the provider
    needs us to (PayPal captures an approved order; DUMMY settles here).

    None for a payment already settled: nobody is asked. Call outside any
    transaction: the provider can take seconds. Raises `InvalidPaymentState`
    for a payment never opened at its provider, `ProviderError`, `ProviderUnavailable`.
    """
    if payment.status not in UNSETTLED:
        return None
    if payment.provider_reference is None:
        raise InvalidPaymentState("The payment was not opened at the provider; initiate it again.")
    return provider_by_name(payment.provider).confirm(payment)


def payment_cod_collection(*, payment: Payment, collector_id: int | None) -> ProviderStatus:
    """The word of whoever collected a cash-on-delivery payment's cash: it SUCCEEDED, in full."""
    if payment.method != PaymentMethod.COD:
        raise InvalidPaymentState("Only cash-on-delivery payments are collected by staff.")
    return ProviderStatus(
        status=PaymentStatus.SUCCEEDED,
        raw={"collected_by": collector_id},
        amount=payment.amount,
        currency=payment.currency,
    )


def payment_abandonment(*, hours: int) -> ProviderStatus:
    """The word that gives up on a payment still open at its provider after `hours`."""
    return ProviderStatus(
        status=PaymentStatus.FAILED,
        raw={"reconcile": "abandoned", "hours": hours},
        failure_reason=f"Abandoned: not completed within {hours} hours.",
    )
