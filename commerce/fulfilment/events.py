"""What happens to shipments: a fulfilment left (recorded in its transaction;
notifications and partner webhooks subscribe to it)."""

from dataclasses import dataclass

from commerce.models import Fulfilment
from fmcore.domain_events import DomainEvent, record


@dataclass(frozen=True, kw_only=True)
class OrderFulfilled(DomainEvent, name="order.fulfilled"):
    """A shipment of (part of) an order left."""

    fulfilment_id: int
    order_id: int


def order_fulfilled(*, fulfilment: Fulfilment) -> None:
    """In the recording transaction: record that `fulfilment` left."""
    record(OrderFulfilled(fulfilment_id=fulfilment.pk, order_id=fulfilment.order_id))
