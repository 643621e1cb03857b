"""Refunds, in three steps so that no row is locked while the provider works:
open the refund (payment row locked), send it to the provider, apply the result
(payment row locked again). `commerce.settlement.services.payment_refund` runs them
and does what a full refund means for the order in the last step's transaction.

Every refund not FAILED counts against the payment, so two concurrent refunds
cannot return more than was paid.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from commerce.errors import InvalidRefundAmount, PaymentNotRefundable
from commerce.models import Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus
from commerce.payments.base import ProviderError, RefundResult
from commerce.payments.registry import provider_by_name
from commerce.payments.status import PaymentChange, payment_audit, payment_lock
from commerce.pricing import money


def refund_open(*, payment: Payment, amount: Decimal | None, actor: User | None, reason: str) -> Refund:
    """Record a PENDING refund of `amount` (default: all that is left) of a SUCCEEDED payment.

    Raises `ProviderUnavailable` (before anything is written), `PaymentNotRefundable`, `InvalidRefundAmount`.
    """
    provider_by_name(payment.provider)
    with transaction.atomic():
        locked = payment_lock(payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise PaymentNotRefundable()
        committed = locked.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount"))["total"]
        remaining = locked.amount - (committed or Decimal("0"))
        amount = remaining if amount is None else money(amount)
        if amount <= 0 or amount > remaining:
            raise InvalidRefundAmount(field="amount")
        return Refund.objects.create(
            payment=locked, amount=amount, currency=locked.currency, actor=actor, reason=reason[:255]
        )


def refund_send(*, refund: Refund) -> RefundResult:
    """Ask the payment's provider to refund; call outside any transaction.

    On a `ProviderError` the refund becomes FAILED, nothing else changes, and the error propagates.
    """
    payment = refund.payment
    try:
        return provider_by_name(payment.provider).refund(payment, refund)
    except ProviderError as exc:
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.FAILED, raw_payload={"error": exc.message}, updated_at=timezone.now()
        )
        raise


def refund_result_apply(*, refund: Refund, result: RefundResult) -> PaymentChange:
    """Record the provider's answer; call within a transaction. A payment refunded in
    full becomes REFUNDED: the returned change then moved (from SUCCEEDED)."""
    locked = payment_lock(refund.payment_id)
    refund.status, refund.provider_reference, refund.raw_payload = result.status, result.provider_reference, result.raw
    refund.save(update_fields=["status", "provider_reference", "raw_payload", "updated_at"])
    if result.status == RefundStatus.FAILED:
        return PaymentChange(outcome=PaymentEvent.Outcome.IGNORED, payment=locked)
    # A provider's REFUNDED webhook may have got there first: never count past the amount.
    locked.refunded_amount = min(locked.amount, locked.refunded_amount + refund.amount)
    fully = locked.refunded_amount >= locked.amount and locked.status == PaymentStatus.SUCCEEDED
    if fully:
        locked.status = PaymentStatus.REFUNDED
    locked.raw_payloads = [*locked.raw_payloads, payment_audit("refund", result.raw)]
    locked.save(update_fields=["refunded_amount", "status", "raw_payloads", "updated_at"])
    return PaymentChange(
        outcome=PaymentEvent.Outcome.APPLIED, payment=locked, from_status=PaymentStatus.SUCCEEDED if fully else None
    )
