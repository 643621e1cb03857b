"""A shipment left: tell the customer (email, in-app) and partner apps
(ORDER_FULFILLED webhook). Called in the recording transaction; everything
leaves through the outbox only if it commits."""

from commerce.models import Fulfilment
from commerce.notifications import tasks
from fmcore.outbox import enqueue
from partners.models import WebhookEvent
from partners.payloads import order_fulfilled_payload
from partners.webhooks import webhook_event_emit


def order_fulfilled(*, fulfilment: Fulfilment) -> None:
    """Queue the shipped email and notification, and the partner webhooks, of `fulfilment`."""
    enqueue(tasks.email_order_fulfilled, fulfilment.pk)
    enqueue(tasks.notify_order_fulfilled, fulfilment.pk)
    webhook_event_emit(
        event=WebhookEvent.ORDER_FULFILLED,
        payload=lambda: order_fulfilled_payload(fulfilment),
        subject=fulfilment,
    )
