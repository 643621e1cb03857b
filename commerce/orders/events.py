"""Order status events, published once the change is committed.

Each event goes to the channel layer (groups `orders.all` and
`orders.user.<id>`, message type `order.status`), which feeds the
`orderStatusChanged` subscription, and to the Dramatiq actors that notify
people. Nothing leaves for a transaction that rolls back.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from commerce.models import Order, OrderStatus, OrderStatusChange

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
        "order_id": order.pk,
        "user_id": order.user_id,
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "actor_id": change.actor_id,
        "changed_at": change.created_at.isoformat(),
    }


def status_event_publish(message: dict, *, layer: BaseChannelLayer | None = None) -> None:
    """Send one committed status event to the staff group and the owner's group."""
    layer = layer or get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        send(GROUP_ALL, message)
        send(user_group(message["user_id"]), message)
    except Exception:
        # The order change is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish order status event %s", message.get("change_id"))


def order_placed(*, change: OrderStatusChange, order: Order) -> None:
    """On commit: announce a new PENDING order and queue its notifications."""
    from commerce import tasks

    message = status_message(change, order)
    order_id = order.pk

    def after_commit() -> None:
        status_event_publish(message)
        tasks.notify_order_placed.send(order_id)
        tasks.email_order_placed.send(order_id)

    transaction.on_commit(after_commit)


def order_status_changed(*, change: OrderStatusChange, order: Order) -> None:
    """On commit: announce a status change and queue its notifications."""
    from commerce import tasks

    message = status_message(change, order)
    change_id, order_id, cancelled = change.pk, order.pk, change.to_status == OrderStatus.CANCELLED

    def after_commit() -> None:
        status_event_publish(message)
        tasks.notify_order_status_changed.send(change_id)
        if cancelled:
            tasks.email_order_cancelled.send(order_id)

    transaction.on_commit(after_commit)
