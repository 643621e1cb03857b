"""The payment state machine: which status may follow which, and the one way to apply a provider's word.

Provider calls happen outside row locks (they can take seconds); their result
is then applied here under `select_for_update` on the payment row with a
conditional update, so a status changes exactly once however many webhooks,
confirms and retries race for it. What a change means for the order is not
known here: `commerce.settlement` applies the change and its consequence in
one transaction, then records it with `payment_change_record`.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from commerce.models import Payment, PaymentEvent, PaymentStatus
from commerce.payments import events as payment_events
from commerce.payments.base import ProviderEvent, ProviderStatus
from infra.domain_events import record

logger = logging.getLogger(__name__)

# Which status a payment may move to from which; anything else from a provider is recorded and ignored.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.AUTHORIZED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELLED}),
    # A retried attempt can still succeed after a failure (money taken is always recorded).
    PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED}),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class PaymentChange:
    """What applying a provider's word did: `payment` as it is now, and the status
    it had before when it moved (`from_status` is None when it did not move)."""

    outcome: PaymentEvent.Outcome
    payment: Payment
    from_status: str | None = None


def payment_audit(source: str, payload: Any) -> dict[str, Any]:
    """One entry of `Payment.raw_payloads`: where a provider payload came from, and when."""
    return {"at": timezone.now().isoformat(), "source": source, "payload": payload}


def payment_lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def _mismatch(payment: Payment, result: ProviderStatus | ProviderEvent) -> str:
    """Why the provider's amount differs from the payment's, or "" when it matches."""
    if result.amount is None or not result.currency:
        if result.status == PaymentStatus.SUCCEEDED:
            return "The provider reported a success without an amount."
        return ""
    if result.amount != payment.amount or result.currency.upper() != payment.currency.upper():
        return (
            f"Amount mismatch: the provider reported {result.amount} {result.currency.upper()}, "
            f"the payment is {payment.amount} {payment.currency}."
        )
    return ""


def payment_status_apply(*, payment_id: int, result: ProviderStatus | ProviderEvent, source: str) -> PaymentChange:
    """Move the payment to the provider's status once, under its row lock; call within a transaction.

    An amount or currency that differs from the payment's makes it FAILED,
    never SUCCEEDED, and alerts staff. The caller records a move with
    `payment_change_record` once it has applied the move's consequences.
    """
    payment = payment_lock(payment_id)
    current = payment.status
    target = result.status
    failure_reason = getattr(result, "failure_reason", "")
    outcome = PaymentEvent.Outcome.APPLIED
    if target in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED):
        reason = _mismatch(payment, result)
        if reason:
            logger.warning("payment %s: %s", payment.reference, reason)
            target, failure_reason, outcome = PaymentStatus.FAILED, reason, PaymentEvent.Outcome.MISMATCH

    changes: dict[str, Any] = {
        "raw_payloads": [*payment.raw_payloads, payment_audit(source, result.raw)],
        "provider_data": {**payment.provider_data, **result.provider_data},
        "updated_at": timezone.now(),
    }
    allowed = target is not None and target != current and target in PAYMENT_TRANSITIONS[current]
    if allowed:
        changes["status"] = target
        if target == PaymentStatus.SUCCEEDED:
            changes["paid_at"] = changes["updated_at"]
            changes["failure_reason"] = ""
        elif target == PaymentStatus.FAILED:
            changes["failure_reason"] = (failure_reason or "The payment failed.")[:255]
        elif target == PaymentStatus.REFUNDED:
            changes["refunded_amount"] = payment.amount
    # Conditional on the status we read: a writer that got there first wins, we change nothing.
    updated = Payment.objects.filter(pk=payment.pk, status=current).update(**changes)
    payment.refresh_from_db()
    if outcome == PaymentEvent.Outcome.MISMATCH:
        # Staff look into every mismatch, also one that came after the payment settled.
        record(payment_events.PaymentMismatched(payment_id=payment.pk))
    if not (allowed and updated):
        ignored = outcome if outcome == PaymentEvent.Outcome.MISMATCH else PaymentEvent.Outcome.IGNORED
        return PaymentChange(outcome=ignored, payment=payment)
    return PaymentChange(outcome=outcome, payment=payment, from_status=current)


def payment_change_record(change: PaymentChange) -> None:
    """Put a move on the payment stream; call last in its transaction (a change that did not move is skipped)."""
    if change.from_status is not None:
        payment_events.payment_status_changed(payment=change.payment, from_status=change.from_status)
