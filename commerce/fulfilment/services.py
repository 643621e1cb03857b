"""Recording shipments of paid orders (staff, or partner apps with `orders:write`).

A fulfilment ships some units of some lines; across all of an order's
fulfilments no line ships more than was ordered. The order row is locked
while the remaining quantities are read and the shipment written, so two
concurrent fulfilments cannot together ship more than the order holds. The
order's status does not change (the lifecycle stays that of
`commerce.orders.status`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from accounts.principal import Principal
from commerce.cache import orders_cache_invalidate
from commerce.catalog.services import clean_name
from commerce.errors import FulfilmentExceedsOrder, InvalidQuantity, OrderNotFulfillable
from commerce.models import Fulfilment, FulfilmentLine, Order, OrderLine, OrderStatus
from commerce.orders.policy import order_for_shop_action
from infra.errors import InvalidInput, NotFound
from partners.change_actor import actor_fields

from . import events, selectors

MAX_CARRIER_LENGTH = 100
MAX_TRACKING_NUMBER_LENGTH = 100
MAX_TRACKING_URL_LENGTH = 500


@dataclass(frozen=True)
class FulfilmentLineData:
    order_line_id: int
    quantity: int


def _tracking_url(value: str | None) -> str:
    url = (value or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise InvalidInput("The tracking URL must be an http(s) address.", field="trackingUrl") from exc
    if len(url) > MAX_TRACKING_URL_LENGTH:
        raise InvalidInput(f"At most {MAX_TRACKING_URL_LENGTH} characters.", field="trackingUrl")
    return url


def _shipment(
    order: Order, lines: Sequence[FulfilmentLineData] | None, shipped: dict[int, int]
) -> list[tuple[OrderLine, int]]:
    """(order line, units) of the shipment: the given lines, checked against what is
    left, or when none are given everything that is left."""
    order_lines = {line.pk: line for line in order.lines.all()}
    remaining = {pk: line.quantity - shipped.get(pk, 0) for pk, line in order_lines.items()}
    if not lines:
        shipment = [(order_lines[pk], left) for pk, left in remaining.items() if left > 0]
        if not shipment:
            raise FulfilmentExceedsOrder("Everything in this order has been shipped already.", field="lines")
        return shipment
    seen: set[int] = set()
    shipment = []
    for line in lines:
        if line.order_line_id not in order_lines:
            raise NotFound("This order has no such line.", field="lines")
        if line.order_line_id in seen:
            raise InvalidInput("Name each order line once.", field="lines")
        seen.add(line.order_line_id)
        if line.quantity <= 0:
            raise InvalidQuantity("Ship at least one unit of each line given.", field="lines")
        left = remaining[line.order_line_id]
        if line.quantity > left:
            raise FulfilmentExceedsOrder(
                f"Only {left} of {order_lines[line.order_line_id].product_name} left to ship.", field="lines"
            )
        shipment.append((order_lines[line.order_line_id], line.quantity))
    return shipment


def fulfilment_add(
    *,
    principal: Principal,
    order_id: int,
    carrier: str,
    tracking_number: str,
    tracking_url: str | None = None,
    lines: Sequence[FulfilmentLineData] | None = None,
) -> Fulfilment:
    """Record a shipment of a PAID order: its carrier, tracking number and
    optional http(s) tracking URL, and the units of each line it holds (no
    `lines`: everything not shipped yet). Staff and apps with `orders:write`
    only. The customer's "shipped" email and notification and the
    ORDER_FULFILLED webhook leave on commit. Raises ORDER_NOT_FULFILLABLE for
    another status, FULFILMENT_EXCEEDS_ORDER for more units than are left."""
    order = order_for_shop_action(principal=principal, order_id=order_id)
    carrier = clean_name(carrier, field="carrier", max_length=MAX_CARRIER_LENGTH)
    tracking_number = clean_name(tracking_number, field="trackingNumber", max_length=MAX_TRACKING_NUMBER_LENGTH)
    url = _tracking_url(tracking_url)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.PAID:
            raise OrderNotFulfillable(f"Order {order.number} is {order.status}; only paid orders can be shipped.")
        shipment = _shipment(order, lines, selectors.order_shipped_quantities(order=order))
        fulfilment = Fulfilment.objects.create(
            order=order,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=url,
            **actor_fields(principal.actor),
        )
        FulfilmentLine.objects.bulk_create(
            FulfilmentLine(fulfilment=fulfilment, order_line=line, quantity=quantity) for line, quantity in shipment
        )
        events.order_fulfilled(fulfilment=fulfilment)
        if order.user_id is not None:
            orders_cache_invalidate(order.user_id)
    return fulfilment
