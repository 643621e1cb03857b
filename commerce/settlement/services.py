"""Settlement: what a payment's money means for its order, and what an order's
cancellation means for its money. The only module that knows both orders and
payments; they never import each other, and the API calls these services for
every operation that crosses both.

The rules, each here and nowhere else:

- A payment becomes SUCCEEDED (webhook, `confirmPayment`, reconciliation, cash
  collected): its order moves to PAID exactly once (through CONFIRMED when
  still PENDING) and `PaymentSucceeded` is recorded (partners subscribe to
  it). The confirmation email, the in-app notification and
  `orderStatusChanged` follow from the transition's own event
  (`commerce.orders.events.OrderStatusChanged`).
- A payment is refunded in full: a PAID order that nothing else pays any more
  is cancelled, which puts its stock back once. A COMPLETED order is left as
  it is: its goods were delivered.
- Staff (or an app with `orders:write`) mark an order PAID: its pending
  cash-on-delivery payment is collected in the same transaction.

When a refund is queued (through the outbox, so it leaves only if its
transaction commits; both actors are in `commerce.settlement.tasks`):

- a PAID order is cancelled, by anyone (`_order_move`): every settled payment
  of the order is refunded (`refund_order_payments`);
- money arrives for an order that no longer needs it, because it was
  cancelled first or another payment paid it (`_order_payment_succeeded`):
  that payment is refunded (`refund_payment`). Raising instead would make the
  provider retry its webhook forever.

Who may cancel a PAID order is not decided here: it is
`commerce.orders.policy.may_move_order` (staff, and apps holding
`orders:write`). `order_transition` refuses that move unless handed the
refund to queue, which only `_order_move` here does.

Lock order, everywhere: the order row, then its payment rows, then product
rows in primary-key order (stock), then the event-stream sequence lock, which
is each transaction's last write. No transaction holds a payment row while
it waits for an order row: every service here that changes both locks the
order first, so a webhook racing `confirmPayment`, a refund racing a
cancellation, or staff marking an order PAID while its cash is collected wait
for each other instead of deadlocking. Provider calls happen outside every
lock: the result is applied in a transaction of its own afterwards.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.principal import Principal
from commerce.cart.guests import CartOwner
from commerce.errors import InvalidPaymentState, InvalidRefundAmount, PaymentNotRefundable
from commerce.models import Order, OrderStatus, Payment, PaymentEvent, PaymentMethod, PaymentStatus, Refund
from commerce.orders import selectors as order_selectors
from commerce.orders.policy import order_for_shop_action
from commerce.orders.status import order_transition
from commerce.payments.base import ProviderEvent, ProviderStatus
from commerce.payments.confirmation import payment_cod_collection, payment_provider_confirm
from commerce.payments.events import PaymentSucceeded
from commerce.payments.provider_events import payment_event_match, payment_event_processed, payment_event_record
from commerce.payments.refunds import refund_open, refund_result_apply, refund_send
from commerce.payments.sessions import PAYABLE_ORDER_STATUSES, payment_create
from commerce.payments.status import PaymentChange, payment_change_record, payment_status_apply
from commerce.settlement import tasks
from infra.domain_events import record
from infra.errors import InvalidInput, NotFound
from infra.outbox import enqueue

logger = logging.getLogger(__name__)

SETTLED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


def _order_lock(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


# --- orders: the moves that set money going ---------------------------------------------


def _order_payments_refund_queue(order: Order) -> None:
    enqueue(tasks.refund_order_payments, order.pk)


def _order_move(*, order: Order, to: str, principal: Principal, note: str) -> Order:
    """`order_transition`, handing it the refund a cancelled PAID order is owed
    (queued in the cancelling transaction)."""
    return order_transition(order=order, to=to, principal=principal, note=note, refund=_order_payments_refund_queue)


def order_cancel(*, principal: Principal, order_id: int, reason: str = "") -> Order:
    """Cancel an order: the owner while PENDING or CONFIRMED, the shop also
    when PAID (its refund is then queued). Restores the stock once.
    An order the caller may not see is NOT_FOUND."""
    order = order_selectors.order_visible(principal=principal, order_id=order_id)
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    return _order_move(order=order, to=OrderStatus.CANCELLED, principal=principal, note=reason or "")


def order_status_update(*, principal: Principal, order_id: int, status: str, note: str = "") -> Order:
    """The shop (staff, or a partner app holding `orders:write`) moves an order
    to `status` along the transition table; the change records them as its
    actor. Moving a cash-on-delivery order to PAID records its cash as
    collected; cancelling a PAID order queues its refund."""
    order = order_for_shop_action(principal=principal, order_id=order_id)
    if status != OrderStatus.PAID:
        return _order_move(order=order, to=status, principal=principal, note=note or "")
    return _order_mark_paid(order=order, principal=principal, note=note)


def _order_mark_paid(*, order: Order, principal: Principal, note: str) -> Order:
    """Marking an order PAID collects its cash-on-delivery payment, in the same transaction."""
    with transaction.atomic():
        # The order, then its payment, before the transition writes to the event stream.
        _order_lock(order.pk)
        pending_cod = order.payments.filter(method=PaymentMethod.COD, status=PaymentStatus.PENDING)
        cod = pending_cod.select_for_update().order_by("pk").first()
        order = order_transition(order=order, to=OrderStatus.PAID, principal=principal, note=note or "")
        if cod is not None:
            payment_cod_collect(payment=cod, actor=principal.user)
    return order


# --- payments: what a settled or refunded payment does to its order -----------------------


def _order_payment_succeeded(order: Order, payment: Payment) -> None:
    """`payment` just became SUCCEEDED; `order` (its order) is locked, we are in that transaction."""
    paid_by_other = order.payments.exclude(pk=payment.pk).filter(status__in=SETTLED).exists()
    method = payment.get_method_display()
    if order.status in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        if order.status == OrderStatus.PENDING:
            order = order_transition(
                order=order, to=OrderStatus.CONFIRMED, principal=Principal.system(), note=f"{method} payment."
            )
        order = order_transition(
            order=order, to=OrderStatus.PAID, principal=Principal.system(), note=f"Paid by {method}."
        )
    elif order.status in (OrderStatus.PAID, OrderStatus.COMPLETED) and not paid_by_other:
        pass  # staff marked it PAID as the cash was collected: this payment is what paid it
    else:
        reason = (
            f"Order {order.number} was cancelled before the payment settled."
            if order.status == OrderStatus.CANCELLED
            else f"Order {order.number} was already paid."
        )
        logger.warning("payment %s settled but is not needed: %s Refunding it.", payment.reference, reason)
        enqueue(tasks.refund_payment, payment.pk, reason)
        return
    record(PaymentSucceeded(payment_id=payment.pk))


def _order_payment_refunded(order: Order, principal: Principal) -> None:
    """A payment of `order` (locked) was refunded in full, within this transaction."""
    if order.status != OrderStatus.PAID or order.payments.filter(status=PaymentStatus.SUCCEEDED).exists():
        return
    _order_move(order=order, to=OrderStatus.CANCELLED, principal=principal, note="Payment refunded in full.")


def _payment_change_settle(order: Order, change: PaymentChange, principal: Principal) -> None:
    """Apply what a payment's move means for its locked order, then record the move; within its transaction."""
    if change.from_status is None:
        return
    if change.payment.status == PaymentStatus.SUCCEEDED:
        _order_payment_succeeded(order, change.payment)
    elif change.payment.status == PaymentStatus.REFUNDED:
        _order_payment_refunded(order, principal)
    payment_change_record(change)


def _payment_settle(*, payment: Payment, result: ProviderStatus | ProviderEvent, source: str) -> PaymentChange:
    """Apply a provider's word to a payment and to its order; call within a transaction."""
    order = _order_lock(payment.order_id)
    change = payment_status_apply(payment_id=payment.pk, result=result, source=source)
    _payment_change_settle(order, change, Principal.system())
    return change


def payment_event_receive(*, event: ProviderEvent) -> PaymentEvent | None:
    """Record a verified webhook event and settle its payment and order, in one transaction.

    Returns the event's row, with its outcome; None for a redelivery, which
    the event's unique (provider, event id) makes a no-op, also when two
    deliveries race. An amount or currency that differs from the payment's
    makes it FAILED, never SUCCEEDED. Events for unknown references or of
    types we do not act on change nothing. If settling fails, the event's row
    rolls back too, so the provider's retry applies it again.
    """
    with transaction.atomic():
        row = payment_event_record(event=event)
        if row is None:
            return None
        payment = payment_event_match(event=event)
        if payment is None:
            outcome = PaymentEvent.Outcome.UNMATCHED
        elif event.status is None:
            outcome = PaymentEvent.Outcome.IGNORED
        else:
            change = _payment_settle(payment=payment, result=event, source=f"webhook:{event.type}")
            outcome, payment = change.outcome, change.payment
        payment_event_processed(row=row, outcome=outcome, payment=payment)
    return row


def payment_confirm(*, payment: Payment) -> Payment:
    """Ask the provider where the payment stands and settle it (the fallback for a late webhook).

    The DUMMY provider settles here; PayPal captures an approved order. A
    payment already settled is returned as it is, without asking anyone.
    """
    result = payment_provider_confirm(payment=payment)
    if result is None:
        return payment
    with transaction.atomic():
        return _payment_settle(payment=payment, result=result, source="confirm").payment


def payment_settle(*, payment: Payment, result: ProviderStatus, source: str) -> Payment:
    """Apply a provider's word (given out of band: reconciliation giving up, say) to a payment and its order."""
    with transaction.atomic():
        return _payment_settle(payment=payment, result=result, source=source).payment


def payment_cod_collect(*, payment: Payment, actor: User | None = None) -> Payment:
    """Record the cash of a cash-on-delivery payment as collected: the payment becomes SUCCEEDED.

    Idempotent: collecting a collected payment changes nothing.
    """
    result = payment_cod_collection(payment=payment, collector_id=actor.pk if actor else None)
    with transaction.atomic():
        payment = _payment_settle(payment=payment, result=result, source="cod:collected").payment
    if payment.status != PaymentStatus.SUCCEEDED:
        raise InvalidPaymentState()
    return payment


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
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 100:
        raise InvalidInput("The idempotency key must be 1 to 100 characters long.", field="idempotencyKey")
    order = order_selectors.orders_owned_by(actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    payment = payment_create(order=order, method=method or order.payment_method, idempotency_key=idempotency_key)
    if payment.provider_reference is None:
        return payment
    with transaction.atomic():
        locked = _order_lock(order.pk)
        if locked.status == OrderStatus.PENDING:
            order_transition(
                order=locked,
                to=OrderStatus.CONFIRMED,
                principal=Principal.system(),
                note=f"Payment started by the customer ({payment.get_method_display()}).",
            )
        if locked.status in PAYABLE_ORDER_STATUSES and locked.payment_method != payment.method:
            Order.objects.filter(pk=locked.pk).update(payment_method=payment.method, updated_at=timezone.now())
    return payment


# --- refunds ---------------------------------------------------------------------------


def payment_refund(
    *, principal: Principal, payment: Payment, amount: Decimal | None = None, reason: str = ""
) -> Refund:
    """Refund `amount` (default: all that is left) of a SUCCEEDED payment through its provider,
    on behalf of `principal` (its user is recorded as the refund's actor).

    Every refund not FAILED counts against the payment, so two concurrent
    refunds cannot return more than was paid. A fully refunded payment becomes
    REFUNDED, and a PAID order nothing else pays is cancelled with it. Raises
    `PaymentNotRefundable`, `InvalidRefundAmount`, `ProviderError` (the refund
    row is then FAILED and nothing else changes).
    """
    refund = refund_open(payment=payment, amount=amount, actor=principal.user, reason=reason)
    result = refund_send(refund=refund)
    with transaction.atomic():
        order = _order_lock(payment.order_id)
        _payment_change_settle(order, refund_result_apply(refund=refund, result=result), principal)
    return refund


def payment_refund_remaining(*, payment_id: int, reason: str = "") -> Refund | None:
    """Refund what is left of a SUCCEEDED payment; None when there is nothing to refund.

    For money nobody should keep (a payment that settled on a cancelled
    order, or a second payment of a paid one), refunded by the system. Safe to repeat.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    try:
        return payment_refund(principal=Principal.system(), payment=payment, reason=reason)
    except (PaymentNotRefundable, InvalidRefundAmount):
        # Refunded meanwhile, or refunds in flight already cover the amount.
        return None


def order_payments_refund(*, order_id: int, principal: Principal, reason: str = "") -> list[Refund]:
    """Refund what is left of every SUCCEEDED payment of an order (a paid order was cancelled).

    Safe to repeat: a fully refunded payment is no longer SUCCEEDED and is skipped.
    A provider error stops at that payment and propagates, so a retried task resumes.
    """
    refunds = []
    for payment in Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED).order_by("pk"):
        refunds.append(payment_refund(principal=principal, payment=payment, reason=reason or "Order cancelled"))
    return refunds


def order_cancelled_refund(*, order_id: int) -> list[Refund]:
    """Refund every settled payment of a cancelled order, on behalf of whoever cancelled it.

    Safe to repeat (fully refunded payments are skipped); a provider error
    propagates so that the task is retried.
    """
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.CANCELLED:
        return []
    change = order.history.filter(to_status=OrderStatus.CANCELLED).select_related("actor").last()
    actor = change.actor if change else None
    reason = f"Order {order.number} cancelled" + (f": {change.note}" if change and change.note else "")
    return order_payments_refund(order_id=order_id, principal=Principal.of_actor(actor), reason=reason)
