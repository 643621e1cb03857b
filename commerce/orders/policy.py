"""Who may do what to orders. The schema's permission extensions, the
services and `order_transition` ask here; what an order's readers see is
`commerce.order_visibility` (payments share it).

The shop (staff users, and partner apps holding `orders:write`) and the
system may make every move of the transition table (`status.TRANSITIONS`);
an order's owner may cancel it while it is PENDING or CONFIRMED. So a PAID
order is cancelled only by the shop, through `commerce.settlement`, which
queues its refund.
"""

from accounts.principal import Principal
from commerce.models import Order, OrderStatus, OrderStatusChange
from infra.errors import NotFound, PermissionDenied
from partners.models import AppScope

# The moves an order's owner may make: cancelling before it is paid.
_OWNER_MOVES = {(OrderStatus.PENDING, OrderStatus.CANCELLED), (OrderStatus.CONFIRMED, OrderStatus.CANCELLED)}


def may_manage_orders(principal: Principal) -> bool:
    """Does `principal` act on any order as the shop does (staff, apps holding `orders:write`)?"""
    return principal.may(AppScope.ORDERS_WRITE)


def may_move_order(principal: Principal, order: Order, to: str) -> bool:
    """May `principal` move `order` from its current status to `to` (a move of the table)?"""
    if may_manage_orders(principal):
        return True
    owner = principal.customer
    return owner is not None and owner.pk == order.user_id and (order.status, to) in _OWNER_MOVES


def may_see_change_actor(principal: Principal, change: OrderStatusChange) -> bool:
    """Who made a status change (a user) is shown to staff and to that user."""
    user = principal.user
    return change.actor_id is not None and user is not None and (principal.is_staff or user.pk == change.actor_id)


def order_for_shop_action(*, principal: Principal, order_id: int) -> Order:
    """The order `principal` may change as the shop: any order, for staff and
    apps with `orders:write`. PERMISSION_DENIED for anyone else, NOT_FOUND for no such order."""
    if not may_manage_orders(principal):
        raise PermissionDenied()
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    return order
