"""Order services for the API: find the caller's order, then move it through
`order_transition`, the only writer of an order's status."""

from accounts.models import User
from commerce.models import Order, OrderStatus
from fmcore.errors import NotFound, PermissionDenied

from . import selectors
from .status import order_transition


def _visible_order(*, actor: User, order_id: int) -> Order:
    order = selectors.order_visible(user=actor, order_id=order_id)
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    return order


def order_cancel(*, actor: User, order_id: int, reason: str = "") -> Order:
    """Cancel an order: the owner while PENDING or CONFIRMED, staff also when
    PAID (a refund is then requested). Restores the stock once.
    Another customer's order is NOT_FOUND."""
    order = _visible_order(actor=actor, order_id=order_id)
    return order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, note=reason or "")


def order_status_update(*, actor: User, order_id: int, status: str, note: str = "") -> Order:
    """Staff move an order to `status` along the transition table."""
    if not actor.is_staff:
        raise PermissionDenied()
    order = _visible_order(actor=actor, order_id=order_id)
    return order_transition(order=order, to=status, actor=actor, note=note or "")
