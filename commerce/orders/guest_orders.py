"""Guest orders becoming an account's once the account proves it owns their email."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from commerce.cache import orders_cache_invalidate
from commerce.models import Order


def guest_orders_attach(*, user: User) -> int:
    """Give `user` the guest orders placed with their email (any case); call it
    in the transaction that proves the user owns that address. Returns how many
    orders changed hands. A guest idempotency key the account already uses for
    an order of its own is dropped (the per-user key stays unique)."""
    with transaction.atomic():
        guest_orders = Order.objects.filter(user__isnull=True, email__iexact=user.email)
        taken = Order.objects.filter(user=user, idempotency_key__isnull=False).values("idempotency_key")
        guest_orders.filter(idempotency_key__in=taken).update(idempotency_key=None)
        attached = guest_orders.update(user=user, updated_at=timezone.now())
        if attached:
            orders_cache_invalidate(user.pk)
    return attached
