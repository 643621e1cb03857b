"""Read-only order queries, always scoped to the caller.

The cache holds only per-user facts (the id of a user's latest order), under
keys that carry the user id and a per-user version. Every order change bumps
the version on commit, so a stale entry is never read again.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from commerce.models import Order
from partners.models import App, AppScope

CACHE_TTL = 300


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


def _version_key(user_id: int) -> str:
    return f"orders:v:{user_id}"


def _version(user_id: int) -> int:
    return cache.get_or_set(_version_key(user_id), 1, timeout=None) or 1


def orders_cache_invalidate(user_id: int) -> None:
    """Forget everything cached about `user_id`'s orders."""
    key = _version_key(user_id)
    if not cache.add(key, 2, timeout=None):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 2, timeout=None)


def orders_cache_invalidate_on_commit(user_id: int) -> None:
    transaction.on_commit(lambda: orders_cache_invalidate(user_id))


def order_latest_id(*, user: User | AnonymousUser | App) -> int | None:
    """The id of the caller's own most recent order (cached per user)."""
    if isinstance(user, App) or not user.is_authenticated:
        return None
    key = f"orders:latest:{user.pk}:{_version(user.pk)}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    latest = Order.objects.filter(user=user).order_by("-created_at", "-id").values_list("pk", flat=True).first()
    cache.set(key, latest or 0, CACHE_TTL)
    return latest
