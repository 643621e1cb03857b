"""Who may see which orders, and so which payments and order and payment events:
staff and apps holding `orders:read` every order, a customer their own, a guest
those their cart placed, nobody else any. One rule for `commerce.orders`,
`commerce.payments` and the event streams, which may not import each other."""

from django.db.models import Q

from accounts.principal import Principal, PrincipalKind
from infra.errors import PermissionDenied, Unauthenticated
from partners.models import AppScope

# Matches no row; Django answers it without a query, as it does `.none()`.
_NOTHING = Q(pk__in=[])


def may_read_all_orders(principal: Principal) -> bool:
    """Staff and apps holding `orders:read` see every order."""
    return principal.may(AppScope.ORDERS_READ)


def orders_visible(principal: Principal, *, via: str = "") -> Q:
    """The filter of the orders `principal` may see; `via` is the path to the
    order from the queried model (`"order"` for payments)."""
    prefix = f"{via}__" if via else ""
    if may_read_all_orders(principal):
        return Q()
    if principal.guest is not None:
        return Q(**{f"{prefix}guest_cart_id": principal.guest.cart_id, f"{prefix}user__isnull": True})
    if principal.customer is not None:
        return Q(**{f"{prefix}user": principal.customer})
    return _NOTHING


def order_events_access_check(*, principal: Principal) -> None:
    """May `principal` follow order (and payment) events at all? Customers
    (their own orders), staff and apps with `orders:read` (every order) may;
    which events each sees is `orders_visible`."""
    if principal.kind is PrincipalKind.APP:
        if not may_read_all_orders(principal):
            raise PermissionDenied("This app lacks the orders:read scope.")
    elif principal.kind is PrincipalKind.ANONYMOUS:
        raise Unauthenticated("You must be logged in to follow orders.")


def may_list_orders(principal: Principal) -> bool:
    """Logged-in users and guests list the orders they see (`orders_visible`);
    partner apps need `orders:read`."""
    return principal.kind in (PrincipalKind.CUSTOMER, PrincipalKind.STAFF, PrincipalKind.GUEST) or (
        may_read_all_orders(principal)
    )
