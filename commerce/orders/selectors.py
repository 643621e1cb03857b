"""Read-only order queries, always scoped to the caller.

The cache holds only per-user facts (the id of a user's latest order) under
the user's `orders` scope of `commerce.cache`; every order change bumps it on
commit (`orders_cache_invalidate`), so a stale entry is never read again.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from commerce.cache import cached, orders_scope
from commerce.cart.guests import CartOwner, Guest
from commerce.models import Order, OrderStatusChange
from partners.models import App, AppScope


def orders_owned_by(owner: CartOwner) -> QuerySet[Order]:
    """The orders the owner placed: a user's own; a guest's from their cart, until
    the email's account takes them over (`guest_orders_attach`)."""
    if isinstance(owner, Guest):
        return Order.objects.filter(guest_cart_id=owner.cart_id, user__isnull=True)
    return Order.objects.filter(user=owner)


def orders_visible_to(user: User | AnonymousUser | App | Guest) -> QuerySet[Order]:
    """Every order for staff and for apps holding `orders:read`, one's own for
    a customer or a guest, none for anonymous callers."""
    if isinstance(user, Guest):
        return orders_owned_by(user)
    if isinstance(user, App):
        return Order.objects.all() if user.has_scope(AppScope.ORDERS_READ) else Order.objects.none()
    if not user.is_authenticated or not user.is_active:
        return Order.objects.none()
    if user.is_staff:
        return Order.objects.all()
    return Order.objects.filter(user=user)


def order_visible(*, user: User | AnonymousUser | App | Guest, order_id: int) -> Order | None:
    """The order if the caller may see it (owner or staff), else None."""
    return orders_visible_to(user).filter(pk=order_id).first()


def order_latest_id(*, user: User | AnonymousUser | App | Guest) -> int | None:
    """The id of the caller's own most recent order (cached per user; a guest's is read each time)."""
    if isinstance(user, Guest):
        return orders_owned_by(user).order_by("-created_at", "-id").values_list("pk", flat=True).first()
    if isinstance(user, App) or not user.is_authenticated:
        return None

    def load() -> int:
        latest = Order.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True).first()
        return latest or 0  # 0: "no order", so that answer is cached too

    return cached(f"orders:latest:{user.pk}", (orders_scope(user.pk),), load) or None


def _order_events(
    user: User | AnonymousUser | App | Guest, after: int, up_to: int | None, order_id: int | None
) -> QuerySet[OrderStatusChange]:
    events = OrderStatusChange.objects.filter(
        sequence__gt=after, order__in=orders_visible_to(user).order_by().values("pk")
    )
    if up_to is not None:
        events = events.filter(sequence__lte=up_to)
    if order_id is not None:
        events = events.filter(order_id=order_id)
    return events


def order_events_visible(
    *,
    user: User | AnonymousUser | App | Guest,
    after: int,
    up_to: int | None = None,
    order_id: int | None = None,
    limit: int | None = None,
) -> list[OrderStatusChange]:
    """The order events the caller may see with `after < sequence <= up_to`, in stream order."""
    events = _order_events(user, after, up_to, order_id)
    events = events.select_related("order__user").prefetch_related("order__lines", "order__history__actor")
    events = events.order_by("sequence")
    return list(events[:limit] if limit is not None else events)


def order_events_visible_count(
    *, user: User | AnonymousUser | App | Guest, after: int, order_id: int | None = None
) -> int:
    """How many order events the caller may see after `after`."""
    return _order_events(user, after, None, order_id).count()
