"""Who may act on any order as the shop does: staff users, and partner apps
holding `orders:write`. Order status updates and fulfilments ask here (the
GraphQL layer's `StaffOrAppScope(ORDERS_WRITE)` refuses the same callers earlier)."""

from accounts.models import User
from commerce.models import Order
from fmcore.errors import NotFound, PermissionDenied
from partners.models import App, AppScope

from . import selectors


def order_for_shop_action(*, actor: User | App | None, order_id: int) -> Order:
    """The order `actor` may change as the shop: any order for staff and for apps
    with `orders:write`. PERMISSION_DENIED for anyone else, NOT_FOUND for no such order."""
    if isinstance(actor, App):
        if not actor.has_scope(AppScope.ORDERS_WRITE):
            raise PermissionDenied()
        order = Order.objects.filter(pk=order_id).first()
    elif actor is not None and actor.is_authenticated and actor.is_staff:
        order = selectors.order_visible(user=actor, order_id=order_id)
    else:
        raise PermissionDenied()
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    return order
