"""What happens to orders: placed, and each status change after that.

The placing or changing transaction records the event (`infra.domain_events`)
and, as its last write, puts the change on the order stream (`ORDER_EVENTS`).
Other domains subscribe to the events (notifications, partner webhooks). This
module's own handler pushes each committed change to the channel layer right
at commit (groups `orders.all` and `orders.user.<owner id>`, message type
`order.status`), which feeds the `orderStatusChanged` subscription.
"""

import logging
from dataclasses import dataclass
from typing import Any, Self

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer

from commerce.event_stream import ORDER_EVENTS
from commerce.models import Order, OrderStatusChange
from infra.domain_events import DomainEvent, Handler, record

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "order.status"
GROUP_ALL = "orders.all"


def order_owner_group(user_id: int) -> str:
    """The channel-layer group of the events of one customer's orders."""
    return f"orders.user.{user_id}"


@dataclass(frozen=True, kw_only=True)
class OrderStatusEvent(DomainEvent):
    """The fields every order status event carries (`changed_at` in ISO 8601)."""

    change_id: int
    order_id: int
    user_id: int | None  # None for a guest's order
    from_status: str  # "" when just placed
    to_status: str
    actor_id: int | None
    changed_at: str

    @classmethod
    def from_change(cls, change: OrderStatusChange, order: Order) -> Self:
        return cls(
            change_id=change.pk,
            order_id=order.pk,
            user_id=order.user_id,
            from_status=change.from_status,
            to_status=change.to_status,
            actor_id=change.actor_id,
            changed_at=change.created_at.isoformat(),
        )


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(OrderStatusEvent, name="order.placed"):
    """A new PENDING order."""


@dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(OrderStatusEvent, name="order.status_changed"):
    """An order moved from `from_status` to `to_status`."""


def status_message(change: OrderStatusChange, order: Order) -> dict[str, Any]:
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


async def _send_to_groups(layer: BaseChannelLayer, message: dict[str, Any]) -> None:
    await layer.group_send(GROUP_ALL, message)
    if message["user_id"] is not None:  # a guest's order has no owner's group
        await layer.group_send(order_owner_group(message["user_id"]), message)


def status_event_publish(message: dict[str, Any], *, layer: BaseChannelLayer | None = None) -> None:
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


def _status_event_push(event: OrderStatusEvent) -> None:
    # The sequence was the transaction's last write, after the event was recorded.
    sequence = OrderStatusChange.objects.values_list("sequence", flat=True).get(pk=event.change_id)
    status_event_publish(
        {
            "type": MESSAGE_TYPE,
            "change_id": event.change_id,
            "sequence": sequence,
            "order_id": event.order_id,
            "user_id": event.user_id,
            "from_status": event.from_status or None,
            "to_status": event.to_status,
            "actor_id": event.actor_id,
            "changed_at": event.changed_at,
        }
    )


HANDLERS: list[Handler[Any]] = [
    Handler(OrderPlaced, _status_event_push, at_commit=True),
    Handler(OrderStatusChanged, _status_event_push, at_commit=True),
]


def order_placed(*, change: OrderStatusChange, order: Order) -> None:
    """In the placing transaction, as its last step: record that `order` was placed."""
    record(OrderPlaced.from_change(change, order))
    ORDER_EVENTS.sequence_assign(change)


def order_status_changed(*, change: OrderStatusChange, order: Order) -> None:
    """In the transition's transaction, as its last step: record `change` of `order`."""
    record(OrderStatusChanged.from_change(change, order))
    ORDER_EVENTS.sequence_assign(change)
