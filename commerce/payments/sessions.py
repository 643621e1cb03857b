"""Opening a payment: one provider session per attempt, idempotent on the buyer's key."""

from uuid import uuid4

from django.db import transaction
from django.db.models import Q

from commerce.errors import OrderNotPayable, PaymentInProgress
from commerce.models import Order, OrderStatus, Payment, PaymentStatus
from commerce.payments import events as payment_events
from commerce.payments.registry import provider_for
from commerce.payments.status import payment_audit, payment_lock

# An order can get a new payment while nobody has paid it yet.
PAYABLE_ORDER_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CONFIRMED})
# A payment the buyer may still complete, or already completed: while one exists,
# the order gets no second attempt. A PENDING payment that never reached its
# provider (no reference) does not count: the buyer never got anything to pay.
OPEN_PAYMENTS = Q(status__in=[PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED]) | Q(
    status=PaymentStatus.PENDING, provider_reference__isnull=False
)


def payment_create(*, order: Order, method: str, idempotency_key: str | None = None) -> Payment:
    """Open a payment of the order's total through the method's provider.

    The same `idempotency_key` for the same order returns the same payment
    (and never opens a second provider session). A new key while another
    payment of the order is open (PENDING at the provider, AUTHORIZED or
    SUCCEEDED) raises `PaymentInProgress`. The order's status is not changed
    here (`commerce.settlement.services.payment_initiate` does that). Raises
    `ProviderUnavailable`, `OrderNotPayable`, `ProviderError`; after a
    `ProviderError` the payment stays PENDING and repeating the call with the
    same key tries the provider again.
    """
    provider = provider_for(method)
    key = idempotency_key or uuid4().hex
    with transaction.atomic():
        # The order row first, then the payment rows: settlement's lock order.
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
        payment = payment_lock(payment.pk)
        if payment.provider_reference is None:
            payment.provider_reference = session.provider_reference
            payment.next_action = session.next_action.as_json() if session.next_action else None
            payment.provider_data = {**payment.provider_data, **session.provider_data}
            payment.raw_payloads = [*payment.raw_payloads, payment_audit("session", session.raw)]
            payment.save(
                update_fields=["provider_reference", "next_action", "provider_data", "raw_payloads", "updated_at"]
            )
    return payment
