"""The order side of payments: what a settled or refunded payment does to its order.

`CommerceConfig.ready()` registers these with the payment services and the
order state machine:

- `order_payment_succeeded` (payment SUCCEEDED): the order moves to PAID
  exactly once (through CONFIRMED when it was still PENDING), and the
  PAYMENT_SUCCEEDED partner webhook is recorded. The confirmation email, the
  in-app notification and the `orderStatusChanged` event come from the
  transition itself (`commerce.orders.events`). Money that arrives for a
  cancelled order, or a second payment of a paid one, is refunded instead:
  raising here would make the provider retry the webhook forever.
- `order_payment_refunded` (payment fully REFUNDED): a PAID order with no
  other settled payment is cancelled, which puts its stock back once.
- `order_refund_requested` (staff cancelled a PAID order): queue the refund.
"""

import logging

from accounts.models import User
from commerce.models import Order, OrderStatus, Payment, PaymentStatus
from commerce.payments.services import order_payments_refund
from fmcore.outbox import enqueue
from partners.models import WebhookEvent
from partners.payloads import payment_succeeded_payload
from partners.webhooks import webhook_event_emit

from .status import order_transition

logger = logging.getLogger(__name__)

SETTLED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


def order_payment_succeeded(payment: Payment) -> None:
    """Hook: `payment` just became SUCCEEDED (its row is locked, we are in its transaction)."""
    from commerce import tasks

    order = Order.objects.select_for_update().get(pk=payment.order_id)
    paid_by_other = order.payments.exclude(pk=payment.pk).filter(status__in=SETTLED).exists()
    method = payment.get_method_display()
    if order.status in (OrderStatus.PENDING, OrderStatus.CONFIRMED):
        if order.status == OrderStatus.PENDING:
            order = order_transition(order=order, to=OrderStatus.CONFIRMED, actor=None, note=f"{method} payment.")
        order = order_transition(order=order, to=OrderStatus.PAID, actor=None, note=f"Paid by {method}.")
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
    payment.order = order
    webhook_event_emit(
        event=WebhookEvent.PAYMENT_SUCCEEDED, payload=lambda: payment_succeeded_payload(payment), subject=payment
    )


def order_payment_refunded(payment: Payment, actor: User | None) -> None:
    """Hook: `payment` was refunded in full. A PAID order that nothing else pays
    any more is cancelled (stock restored once, through `order_transition`).
    A COMPLETED order is left as it is: its goods were delivered."""
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if order.status != OrderStatus.PAID or order.payments.filter(status=PaymentStatus.SUCCEEDED).exists():
        return
    order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, note="Payment refunded in full.")


def order_refund_requested(order_id: int) -> None:
    """Listener: a PAID order was cancelled; queue the refund of its payments (leaves on commit)."""
    from commerce import tasks

    enqueue(tasks.refund_order_payments, order_id)


def order_cancelled_refund(*, order_id: int) -> list:
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
    return order_payments_refund(order_id=order_id, actor=actor, reason=reason)
