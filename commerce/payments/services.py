"""Payment services: open a payment, settle it from the provider's word, refund it.

Provider calls happen outside row locks (they can take seconds); the result is
then applied under `select_for_update` on the payment row with a conditional
update, so a status changes exactly once however many webhooks, confirms and
retries race for it.

The order side (moving the order to PAID, cancelling a fully refunded one)
lives in `commerce.orders.payments`: it registers itself with
`on_payment_succeeded` / `on_payment_refunded` and runs in the same
transaction as the payment's own change. `payment_initiate` is the API's way
in: it opens the payment, then confirms the order.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from commerce.cart.guests import CartOwner
from commerce.errors import (
    InvalidPaymentState,
    InvalidRefundAmount,
    OrderNotPayable,
    PaymentInProgress,
    PaymentNotRefundable,
)
from commerce.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from commerce.orders.selectors import orders_owned_by
from commerce.payments import events as payment_events
from commerce.payments.base import ProviderError, ProviderStatus, ProviderUnavailable, WebhookEvent
from commerce.payments.registry import provider_by_name, provider_for
from commerce.pricing import money
from fmcore.errors import InvalidInput, NotFound
from fmcore.outbox import enqueue

logger = logging.getLogger(__name__)

PaymentHook = Callable[[Payment], None]
RefundedHook = Callable[[Payment, User | None], None]
_payment_succeeded_hooks: list[PaymentHook] = []
_payment_refunded_hooks: list[RefundedHook] = []

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
# An order can get a new payment while nobody has paid it yet.
PAYABLE_ORDER_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})
# A payment the buyer may still complete, or already completed: while one exists,
# the order gets no second attempt. A PENDING payment that never reached its
# provider (no reference) does not count: the buyer never got anything to pay.
OPEN_PAYMENTS = Q(status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED]) | Q(
    status=PaymentStatus.PENDING, provider_reference__isnull=False
)


def on_payment_succeeded(hook: PaymentHook) -> PaymentHook:
    """Register `hook(payment)` to run once when a payment becomes SUCCEEDED.

    It runs inside the transaction that marks the payment SUCCEEDED, with the
    payment row locked, exactly once per payment. If it raises, the payment's
    change (and the webhook's PaymentEvent) roll back, so the provider's retry
    applies it again. Usable as a decorator; registering twice is harmless.
    """
    if hook not in _payment_succeeded_hooks:
        _payment_succeeded_hooks.append(hook)
    return hook


def payment_succeeded_hook_remove(hook: PaymentHook) -> None:
    if hook in _payment_succeeded_hooks:
        _payment_succeeded_hooks.remove(hook)


def on_payment_refunded(hook: RefundedHook) -> RefundedHook:
    """Register `hook(payment, actor)` to run once when a payment becomes REFUNDED (fully refunded).

    Like `on_payment_succeeded`: inside the transaction of that change, payment row locked.
    `actor` is the staff user who refunded, None for the system or the provider.
    """
    if hook not in _payment_refunded_hooks:
        _payment_refunded_hooks.append(hook)
    return hook


def payment_refunded_hook_remove(hook: RefundedHook) -> None:
    if hook in _payment_refunded_hooks:
        _payment_refunded_hooks.remove(hook)


def _refunded(payment: Payment, actor: User | None) -> None:
    for hook in list(_payment_refunded_hooks):
        hook(payment, actor)


def _audit(source: str, payload: Any) -> dict[str, Any]:
    return {"at": timezone.now().isoformat(), "source": source, "payload": payload}


def _lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def payment_create(*, order: Order, method: str, idempotency_key: str | None = None) -> Payment:
    """Open a payment of the order's total through the method's provider.

    The same `idempotency_key` for the same order returns the same payment
    (and never opens a second provider session). A new key while another
    payment of the order is open (PENDING at the provider, AUTHORIZED or
    SUCCEEDED) raises `PaymentInProgress`. The order's status is not changed
    here (`payment_initiate` does that). Raises `ProviderUnavailable`, `OrderNotPayable`, `ProviderError`;
    after a `ProviderError` the payment stays PENDING and repeating the call
    with the same key tries the provider again.
    """
    provider = provider_for(method)
    key = idempotency_key or uuid4().hex
    with transaction.atomic():
        locked_order = Order.objects.select_for_update().get(pk=order.pk)
        payment = Payment.objects.filter(order=locked_order, idempotency_key=key).first()
        if payment is None:
            if locked_order.status not in PAYABLE_ORDER_STATUSES:
                raise OrderNotPayable()
            if locked_order.payments.filter(OPEN_PAYMENTS).exists():
                raise PaymentInProgress()
            payment = Payment.objects.create(
                order=locked_order,
                method=method,
                provider=provider.name,
                amount=locked_order.total,
                currency=locked_order.currency,
                idempotency_key=key,
            )
            payment_events.payment_status_changed(payment=payment, from_status="")
    if payment.provider_reference is not None or payment.status != PaymentStatus.PENDING:
        return payment

    session = provider.create_session(payment)
    with transaction.atomic():
        payment = _lock(payment.pk)
        if payment.provider_reference is None:
            payment.provider_reference = session.provider_reference
            payment.next_action = session.next_action.as_json() if session.next_action else None
            payment.provider_data = {**payment.provider_data, **session.provider_data}
            payment.raw_payloads = [*payment.raw_payloads, _audit("session", session.raw)]
            payment.save(
                update_fields=["provider_reference", "next_action", "provider_data", "raw_payloads", "updated_at"]
            )
    return payment


def _mismatch(payment: Payment, result: ProviderStatus | WebhookEvent) -> str:
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


def _payment_status_apply(
    *, payment_id: int, result: ProviderStatus | WebhookEvent, source: str
) -> tuple[PaymentEvent.Outcome, Payment]:
    """Move the payment to the provider's status once, under its row lock; call within a transaction."""
    payment = _lock(payment_id)
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
        "raw_payloads": [*payment.raw_payloads, _audit(source, result.raw)],
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
        from commerce import tasks

        # Staff look into every mismatch, also one that came after the payment settled.
        enqueue(tasks.alert_staff_payment_mismatch, payment.pk)
    if not (allowed and updated):
        return (outcome if outcome == PaymentEvent.Outcome.MISMATCH else PaymentEvent.Outcome.IGNORED), payment
    if target == PaymentStatus.SUCCEEDED:
        for hook in list(_payment_succeeded_hooks):
            hook(payment)
    elif target == PaymentStatus.REFUNDED:
        _refunded(payment, None)
    payment_events.payment_status_changed(payment=payment, from_status=current)
    return outcome, payment


def payment_event_apply(event: WebhookEvent) -> tuple[PaymentEvent.Outcome, Payment | None]:
    """Settle the payment a verified provider event is about; call within a transaction.

    An amount or currency that differs from the payment's makes it FAILED,
    never SUCCEEDED. Events for unknown references or of types we do not act
    on change nothing.
    """
    payment_id = (
        Payment.objects.filter(provider=event.provider, provider_reference=event.provider_reference)
        .values_list("pk", flat=True)
        .first()
        if event.provider_reference
        else None
    )
    if payment_id is None:
        return PaymentEvent.Outcome.UNMATCHED, None
    if event.status is None:
        return PaymentEvent.Outcome.IGNORED, Payment.objects.get(pk=payment_id)
    return _payment_status_apply(payment_id=payment_id, result=event, source=f"webhook:{event.type}")


@dataclass(frozen=True)
class PaymentEventReceipt:
    event: PaymentEvent | None
    duplicate: bool


def payment_event_receive(*, event: WebhookEvent) -> PaymentEventReceipt:
    """Record a verified webhook event and settle its payment, in one transaction.

    The event's unique (provider, event id) makes a redelivery a no-op
    (`duplicate=True`), also when two deliveries race.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = PaymentEvent.objects.create(
                    provider=event.provider, event_id=event.event_id, type=event.type, payload=event.raw
                )
        except IntegrityError:
            return PaymentEventReceipt(event=None, duplicate=True)
        outcome, payment = payment_event_apply(event)
        row.outcome, row.payment, row.processed_at = outcome, payment, timezone.now()
        row.save(update_fields=["outcome", "payment", "processed_at"])
    return PaymentEventReceipt(event=row, duplicate=False)


def payment_confirm(*, payment: Payment) -> Payment:
    """Ask the provider where the payment stands and settle it (the fallback for a late webhook).

    The DUMMY provider settles here; PayPal captures an approved order. A
    payment already settled is returned as it is, without asking anyone.
    """
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.FAILED):
        return payment
    if payment.provider_reference is None:
        raise InvalidPaymentState("The payment was not opened at the provider; initiate it again.")
    result = provider_by_name(payment.provider).confirm(payment)
    with transaction.atomic():
        _, payment = _payment_status_apply(payment_id=payment.pk, result=result, source="confirm")
    return payment


def payment_cod_collect(*, payment: Payment, actor: User | None = None) -> Payment:
    """Record the cash of a cash-on-delivery payment as collected: the payment becomes SUCCEEDED.

    Idempotent: collecting a collected payment changes nothing.
    """
    if payment.method != PaymentMethod.COD:
        raise InvalidPaymentState("Only cash-on-delivery payments are collected by staff.")
    result = ProviderStatus(
        status=PaymentStatus.SUCCEEDED,
        raw={"collected_by": actor.pk if actor else None},
        amount=payment.amount,
        currency=payment.currency,
    )
    with transaction.atomic():
        _, payment = _payment_status_apply(payment_id=payment.pk, result=result, source="cod:collected")
    if payment.status != PaymentStatus.SUCCEEDED:
        raise InvalidPaymentState()
    return payment


def payment_refund(
    *, payment: Payment, amount: Decimal | None = None, actor: User | None = None, reason: str = ""
) -> Refund:
    """Refund `amount` (default: all that is left) of a SUCCEEDED payment through its provider.

    Every refund not FAILED counts against the payment, so two concurrent
    refunds cannot return more than was paid. A fully refunded payment becomes
    REFUNDED. Raises `PaymentNotRefundable`, `InvalidRefundAmount`, `ProviderError`
    (the refund row is then FAILED and nothing else changes).
    """
    provider = provider_by_name(payment.provider)
    with transaction.atomic():
        locked = _lock(payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise PaymentNotRefundable()
        committed = locked.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount"))["total"]
        remaining = locked.amount - (committed or Decimal("0"))
        amount = remaining if amount is None else money(amount)
        if amount <= 0 or amount > remaining:
            raise InvalidRefundAmount(field="amount")
        refund = Refund.objects.create(
            payment=locked, amount=amount, currency=locked.currency, actor=actor, reason=reason[:255]
        )
    try:
        result = provider.refund(locked, refund)
    except ProviderError as exc:
        Refund.objects.filter(pk=refund.pk).update(
            status=RefundStatus.FAILED, raw_payload={"error": exc.message}, updated_at=timezone.now()
        )
        raise
    with transaction.atomic():
        locked = _lock(payment.pk)
        refund.status, refund.provider_reference, refund.raw_payload = (
            result.status,
            result.provider_reference,
            result.raw,
        )
        refund.save(update_fields=["status", "provider_reference", "raw_payload", "updated_at"])
        if result.status != RefundStatus.FAILED:
            # A provider's REFUNDED webhook may have got there first: never count past the amount.
            locked.refunded_amount = min(locked.amount, locked.refunded_amount + refund.amount)
            fully = locked.refunded_amount >= locked.amount and locked.status == PaymentStatus.SUCCEEDED
            if fully:
                locked.status = PaymentStatus.REFUNDED
            locked.raw_payloads = [*locked.raw_payloads, _audit("refund", result.raw)]
            locked.save(update_fields=["refunded_amount", "status", "raw_payloads", "updated_at"])
            if fully:
                _refunded(locked, actor)
                payment_events.payment_status_changed(payment=locked, from_status=PaymentStatus.SUCCEEDED)
    return refund


def order_payments_refund(*, order_id: int, actor: User | None = None, reason: str = "") -> list[Refund]:
    """Refund what is left of every SUCCEEDED payment of an order (a paid order was cancelled).

    Safe to repeat: a fully refunded payment is no longer SUCCEEDED and is skipped.
    A provider error stops at that payment and propagates, so a retried task resumes.
    """
    refunds = []
    for payment in Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED).order_by("pk"):
        refunds.append(payment_refund(payment=payment, actor=actor, reason=reason or "Order cancelled"))
    return refunds


def payment_initiate(
    *, actor: CartOwner, order_id: int, method: str | None = None, idempotency_key: str | None = None
) -> Payment:
    """The buyer starts paying their order: open the payment, then confirm the order.

    Only the order's owner (a user, or the guest whose cart placed it) may pay
    it (anyone else: NOT_FOUND). `method`
    defaults to the one chosen at checkout. The payment row is committed
    before the provider is called, and no stock or order row is locked during
    that call. Once the provider has opened the payment, a PENDING order
    moves to CONFIRMED (through `order_transition`) and takes this method.
    The same `idempotency_key` returns the same payment without calling the
    provider again; after a `ProviderError` it tries the provider again.
    """
    from commerce.orders.status import order_transition

    if idempotency_key is not None and not 0 < len(idempotency_key) <= 100:
        raise InvalidInput("The idempotency key must be 1 to 100 characters long.", field="idempotencyKey")
    order = orders_owned_by(actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    payment = payment_create(order=order, method=method or order.payment_method, idempotency_key=idempotency_key)
    if payment.provider_reference is None:
        return payment
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.PENDING:
            order_transition(
                order=locked,
                to=OrderStatus.CONFIRMED,
                actor=None,
                note=f"Payment started by the customer ({payment.get_method_display()}).",
            )
        if locked.status in PAYABLE_ORDER_STATUSES and locked.payment_method != payment.method:
            Order.objects.filter(pk=locked.pk).update(payment_method=payment.method, updated_at=timezone.now())
    return payment


def payment_refund_remaining(*, payment_id: int, reason: str = "", actor: User | None = None) -> Refund | None:
    """Refund what is left of a SUCCEEDED payment; None when there is nothing to refund.

    For money nobody should keep (a payment that settled on a cancelled
    order, or a second payment of a paid one). Safe to repeat.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    try:
        return payment_refund(payment=payment, actor=actor, reason=reason)
    except (PaymentNotRefundable, InvalidRefundAmount):
        # Refunded meanwhile, or refunds in flight already cover the amount.
        return None


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    settled: int
    failed: int
    unchanged: int
    errors: int


def payments_reconcile(*, now: datetime | None = None) -> ReconcileReport:
    """Ask providers about payments left PENDING or AUTHORIZED for longer than
    PAYMENT_RECONCILE_AFTER_MINUTES (a webhook lost or late) and settle them.

    Each payment is confirmed as `confirmPayment` would (PayPal captures an
    approved order). One still open at its provider after
    PAYMENT_ABANDON_AFTER_HOURS is marked FAILED ("abandoned"): the order can
    then be paid again, and the attempt can still turn SUCCEEDED if the
    provider settles it later. COD payments wait for the courier and are
    skipped; so are payments whose provider is switched off. A provider error
    is logged and counted, and the payment is tried again next run.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    abandon_before = now - timedelta(hours=settings.PAYMENT_ABANDON_AFTER_HOURS)
    stuck = (
        Payment.objects.filter(
            status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED],
            provider_reference__isnull=False,
            created_at__lt=cutoff,
        )
        .exclude(method=PaymentMethod.COD)
        .order_by("pk")
    )
    counts = {"checked": 0, "settled": 0, "failed": 0, "unchanged": 0, "errors": 0}
    for payment in stuck.iterator():
        counts["checked"] += 1
        try:
            after = payment_confirm(payment=payment)
            still_open = after.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)
            if still_open and payment.created_at < abandon_before:
                after = _payment_abandon(payment=after)
        except (ProviderError, ProviderUnavailable, InvalidPaymentState) as exc:
            logger.warning("reconcile: payment %s could not be checked: %s", payment.reference, exc)
            counts["errors"] += 1
            continue
        if after.status == PaymentStatus.SUCCEEDED:
            counts["settled"] += 1
        elif after.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            counts["failed"] += 1
        else:
            counts["unchanged"] += 1
    report = ReconcileReport(**counts)
    logger.info("reconcile payments: %s", report)
    return report


def _payment_abandon(*, payment: Payment) -> Payment:
    hours = settings.PAYMENT_ABANDON_AFTER_HOURS
    result = ProviderStatus(
        status=PaymentStatus.FAILED,
        raw={"reconcile": "abandoned", "hours": hours},
        failure_reason=f"Abandoned: not completed within {hours} hours.",
    )
    with transaction.atomic():
        _, payment = _payment_status_apply(payment_id=payment.pk, result=result, source="reconcile")
    return payment
