"""Which events notify whom: each queues the notification actors (`tasks`) through the outbox."""

from typing import Any

from dramatiq import Actor

from commerce.fulfilment.events import OrderFulfilled
from commerce.models import OrderStatus
from commerce.orders.events import OrderPlaced, OrderStatusChanged
from commerce.payments.events import PaymentMismatched
from infra.domain_events import Handler
from infra.outbox import enqueue, enqueue_many

from . import tasks


def _order_placed(event: OrderPlaced) -> None:
    enqueue_many([(tasks.notify_order_placed, (event.order_id,)), (tasks.email_order_placed, (event.order_id,))])


def _order_status_changed(event: OrderStatusChanged) -> None:
    messages: list[tuple[Actor, tuple]] = [(tasks.notify_order_status_changed, (event.change_id,))]
    if event.to_status == OrderStatus.CANCELLED:
        messages.append((tasks.email_order_cancelled, (event.order_id,)))
    elif event.to_status == OrderStatus.PAID:
        messages.append((tasks.email_order_paid, (event.order_id,)))
    enqueue_many(messages)


def _order_fulfilled(event: OrderFulfilled) -> None:
    enqueue_many(
        [(tasks.email_order_fulfilled, (event.fulfilment_id,)), (tasks.notify_order_fulfilled, (event.fulfilment_id,))]
    )


def _payment_mismatched(event: PaymentMismatched) -> None:
    # Staff look into every mismatch, also one that came after the payment settled.
    enqueue(tasks.alert_staff_payment_mismatch, event.payment_id)


HANDLERS: list[Handler[Any]] = [
    Handler(OrderPlaced, _order_placed),
    Handler(OrderStatusChanged, _order_status_changed),
    Handler(OrderFulfilled, _order_fulfilled),
    Handler(PaymentMismatched, _payment_mismatched),
]
