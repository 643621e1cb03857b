"""Read-only order queries, always scoped to the caller.

The cache holds only per-user facts (the id of a user's latest order) under
the user's `orders` scope of `commerce.cache`; every order change bumps it on
commit (`orders_cache_invalidate`), so a stale entry is never read again.
"""

from django.db.models import QuerySet

from accounts.principal import Principal
from commerce.cache import cached, orders_scope
from commerce.cart.guests import CartOwner, Guest
from commerce.models import Order, OrderStatusChange
from commerce.order_visibility import orders_visible


def orders_owned_by(owner: CartOwner) -> QuerySet[Order]:
    """The orders the owner placed: a user's own; a guest's from their cart, until
    the email's account takes them over (`guest_orders_attach`)."""
    if isinstance(owner, Guest):
        return Order.objects.filter(guest_cart_id=owner.cart_id, user__isnull=True)
    return Order.objects.filter(user=owner)


def orders_visible_to(principal: Principal) -> QuerySet[Order]:
    """The orders `principal` may see (`commerce.order_visibility.orders_visible`)."""
    return Order.objects.filter(orders_visible(principal))


def order_visible(*, principal: Principal, order_id: int) -> Order | None:
    """The order if `principal` may see it, else None."""
    return orders_visible_to(principal).filter(pk=order_id).first()


def order_latest_id(*, principal: Principal) -> int | None:
    """The id of the caller's own most recent order (cached per customer; a guest's is read each time)."""
    if principal.guest is not None:
        return orders_owned_by(principal.guest).order_by("-created_at", "-id").values_list("pk", flat=True).first()
    user = principal.user
    if user is None:
        return None

    def load() -> int:
        latest = Order.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True).first()
        return latest or 0  # 0: "no order", so that answer is cached too

    return cached(f"orders:latest:{user.pk}", (orders_scope(user.pk),), load) or None


def _order_events(
    principal: Principal, after: int, up_to: int | None, order_id: int | None
) -> QuerySet[OrderStatusChange]:
    events = OrderStatusChange.objects.filter(
        sequence__gt=after, order__in=orders_visible_to(principal).order_by().values("pk")
    )
    if up_to is not None:
        events = events.filter(sequence__lte=up_to)
    if order_id is not None:
        events = events.filter(order_id=order_id)
    return events


def order_events_visible(
    *,
    principal: Principal,
    after: int,
    up_to: int | None = None,
    order_id: int | None = None,
    limit: int | None = None,
) -> list[OrderStatusChange]:
    """The order events the caller may see with `after < sequence <= up_to`, in stream order."""
    events = _order_events(principal, after, up_to, order_id)
    events = events.select_related("order__user").prefetch_related("order__lines", "order__history__actor")
    events = events.order_by("sequence")
    return list(events[:limit] if limit is not None else events)


def order_events_visible_count(*, principal: Principal, after: int, order_id: int | None = None) -> int:
    """How many order events the caller may see after `after`."""
    return _order_events(principal, after, None, order_id).count()
