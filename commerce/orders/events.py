"""Order status events, published once the change is committed.

Each event goes to the channel layer (groups `orders.all` and
`orders.user.<id>`, message type `order.status`), which feeds the
`orderStatusChanged` subscription, to the Dramatiq actors that notify people
(through the outbox), and to partner webhooks. Nothing leaves for a
transaction that rolls back.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from commerce.event_stream import ORDER_EVENTS
from commerce.models import Order, OrderStatus, OrderStatusChange
from commerce.notifications import tasks
from fmcore.outbox import enqueue
from partners.models import WebhookEvent
from partners.payloads import order_created_payload, order_status_changed_payload
from partners.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "order.status"
GROUP_ALL = "orders.all"


def user_group(user_id: int) -> str:
    return f"orders.user.{user_id}"


def status_message(change: OrderStatusChange, order: Order) -> dict:
    """The channel-layer message announcing `change` of `order` (JSON-safe)."""
    return {
        "type": MESSAGE_TYPE,
        "change_id": change.pk,
        "sequence": change.sequence,
        "order_id": order.pk,
        "user_id": order.user_id,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "actor_id": change.actor_id,
        "changed_at": change.created_at.isoformat(),
    }


async def _send_to_groups(layer: BaseChannelLayer, message: dict) -> None:
    await layer.group_send(GROUP_ALL, message)
    if message["user_id"] is not None:  # a guest's order has no owner's group
        await layer.group_send(user_group(message["user_id"]), message)


def status_event_publish(message: dict, *, layer: BaseChannelLayer | None = None) -> None:
    """Send one committed status event to the staff group and the owner's group."""
    layer = layer or get_channel_layer()
    if layer is None:
        return
    try:
        # One event loop for both sends: each async_to_sync call starts a loop,
        # and the Redis layer opens a connection per loop.
        async_to_sync(_send_to_groups)(layer, message)
    except Exception:
        # The order change is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish order status event %s", message.get("change_id"))


def _stream_append(change: OrderStatusChange, order: Order) -> None:
    # Last step of the transaction: the sequence lock is held until commit.
    ORDER_EVENTS.sequence_assign(change)
    message = status_message(change, order)
    transaction.on_commit(lambda: status_event_publish(message))


def order_placed(*, change: OrderStatusChange, order: Order) -> None:
    """In the placing transaction: announce a new PENDING order, queue its
    notifications and its partner webhooks; all leave only if it commits."""
    enqueue(tasks.notify_order_placed, order.pk)
    enqueue(tasks.email_order_placed, order.pk)
    webhook_event_emit(event=WebhookEvent.ORDER_CREATED, payload=lambda: order_created_payload(order), subject=change)
    _stream_append(change, order)


def order_status_changed(*, change: OrderStatusChange, order: Order) -> None:
    """In the transition's transaction: announce a status change, queue its
    notifications and its partner webhooks; all leave only if it commits."""
    enqueue(tasks.notify_order_status_changed, change.pk)
    if change.to_status == OrderStatus.CANCELLED:
        enqueue(tasks.email_order_cancelled, order.pk)
    elif change.to_status == OrderStatus.PAID:
        enqueue(tasks.email_order_paid, order.pk)
    webhook_event_emit(
        event=WebhookEvent.ORDER_STATUS_CHANGED,
        payload=lambda: order_status_changed_payload(
            order,
            from_status=change.from_status,
            to_status=change.to_status,
            changed_at=change.created_at,
            note=change.note,
        ),
        subject=change,
    )
    _stream_append(change, order)
