"""What happens to shipments: a fulfilment left (recorded in its transaction;
notifications and partner webhooks subscribe to it).

This module's own handler pushes each committed shipment to the channel layer
right at commit (groups `fulfilments.all` and `fulfilments.user.<owner id>`,
message type `order.fulfilled`), which feeds the `orderFulfilled` subscription.
"""

import logging
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from commerce.models import Fulfilment
from infra.domain_events import DomainEvent, Handler, record

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "order.fulfilled"
GROUP_ALL = "fulfilments.all"


def fulfilment_owner_group(user_id: int) -> str:
    """The channel-layer group of the shipments of one customer's orders."""
    return f"fulfilments.user.{user_id}"


@dataclass(frozen=True, kw_only=True)
class OrderFulfilled(DomainEvent, name="order.fulfilled"):
    """A shipment of (part of) an order left."""

    fulfilment_id: int
    order_id: int
    user_id: int | None  # None for a guest's order


async def _send_to_groups(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(GROUP_ALL, message)
    if message["user_id"] is not None:
        await layer.group_send(fulfilment_owner_group(message["user_id"]), message)


def _shipment_push(event: OrderFulfilled) -> None:
    message = {
        "type": MESSAGE_TYPE,
        "fulfilment_id": event.fulfilment_id,
        "order_id": event.order_id,
        "user_id": event.user_id,
    }
    try:
        async_to_sync(_send_to_groups)(message)
    except Exception:
        # The shipment is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish fulfilment %s", event.fulfilment_id)


HANDLERS: list[Handler[Any]] = [Handler(OrderFulfilled, _shipment_push, at_commit=True)]


def order_fulfilled(*, fulfilment: Fulfilment) -> None:
    """In the recording transaction: record that `fulfilment` left."""
    record(OrderFulfilled(fulfilment_id=fulfilment.pk, order_id=fulfilment.order_id, user_id=fulfilment.order.user_id))
