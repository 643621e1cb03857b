"""Read-only order queries, always scoped to the caller.

The cache holds only per-user facts (the id of a user's latest order) under
the user's `orders` scope of `commerce.cache`; every order change bumps it on
commit (`orders_cache_invalidate`), so a stale entry is never read again.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from commerce.cache import cached, orders_scope
from commerce.models import Order
from partners.models import App, AppScope


def orders_visible_to(user: User | AnonymousUser | App) -> QuerySet[Order]:
    """Every order for staff and for apps holding `orders:read`, one's own for
    a customer, none for anonymous callers."""
    if isinstance(user, App):
        return Order.objects.all() if user.has_scope(AppScope.ORDERS_READ) else Order.objects.none()
    if not user.is_authenticated or not user.is_active:
        return Order.objects.none()
    if user.is_staff:
        return Order.objects.all()
    return Order.objects.filter(user=user)


def order_visible(*, user: User | AnonymousUser | App, order_id: int) -> Order | None:
    """The order if the caller may see it (owner or staff), else None."""
    return orders_visible_to(user).filter(pk=order_id).first()


def order_latest_id(*, user: User | AnonymousUser | App) -> int | None:
    """The id of the caller's own most recent order (cached per user)."""
    if isinstance(user, App) or not user.is_authenticated:
        return None

    def load() -> int:
        latest = Order.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True).first()
        return latest or 0  # 0: "no order", so that answer is cached too

    return cached(f"orders:latest:{user.pk}", (orders_scope(user.pk),), load) or None
