"""Which events become partner webhooks: each records the deliveries of one `WebhookEventType`.

They run in the dispatch of a committed event, which happens once per event
(`infra.domain_events`), so each webhook gets one delivery per event.
"""

from typing import Any

from commerce.fulfilment.events import OrderFulfilled
from commerce.models import Fulfilment, Order, OrderStatusChange, Payment
from commerce.orders.events import OrderPlaced, OrderStatusChanged, OrderStatusEvent
from commerce.payments.events import PaymentSucceeded
from infra.domain_events import Handler

from .models import WebhookEventType
from .outgoing_webhooks import webhook_event_emit
from .payloads import (
    order_created_payload,
    order_fulfilled_payload,
    order_status_changed_payload,
    payment_succeeded_payload,
)


def _order_as_of(event: OrderStatusEvent) -> Order:
    order = Order.objects.select_related("user").get(pk=event.order_id)
    # The payload describes the order as this change left it, not as later ones did.
    order.status = event.to_status
    return order


def _order_placed(event: OrderPlaced) -> None:
    webhook_event_emit(
        event=WebhookEventType.ORDER_CREATED,
        payload=lambda: order_created_payload(_order_as_of(event)),
        subject=(OrderStatusChange, event.change_id),
    )


def _order_status_changed(event: OrderStatusChanged) -> None:
    def payload() -> dict:
        change = OrderStatusChange.objects.get(pk=event.change_id)
        return order_status_changed_payload(
            _order_as_of(event),
            from_status=change.from_status,
            to_status=change.to_status,
            changed_at=change.created_at,
            note=change.note,
        )

    webhook_event_emit(
        event=WebhookEventType.ORDER_STATUS_CHANGED, payload=payload, subject=(OrderStatusChange, event.change_id)
    )


def _payment_succeeded(event: PaymentSucceeded) -> None:
    webhook_event_emit(
        event=WebhookEventType.PAYMENT_SUCCEEDED,
        payload=lambda: payment_succeeded_payload(
            Payment.objects.select_related("order__user").get(pk=event.payment_id)
        ),
        subject=(Payment, event.payment_id),
    )


def _order_fulfilled(event: OrderFulfilled) -> None:
    webhook_event_emit(
        event=WebhookEventType.ORDER_FULFILLED,
        payload=lambda: order_fulfilled_payload(
            Fulfilment.objects.select_related("order__user").get(pk=event.fulfilment_id)
        ),
        subject=(Fulfilment, event.fulfilment_id),
    )


HANDLERS: list[Handler[Any]] = [
    Handler(OrderPlaced, _order_placed),
    Handler(OrderStatusChanged, _order_status_changed),
    Handler(PaymentSucceeded, _payment_succeeded),
    Handler(OrderFulfilled, _order_fulfilled),
]
