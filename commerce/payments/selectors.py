"""Read-only payment queries, scoped to the caller as orders are."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from commerce.cart.guests import Guest
from commerce.models import Payment, PaymentStatusChange
from partners.models import App, AppScope


def payments_visible_filter(
    queryset: QuerySet[Payment], viewer: User | AnonymousUser | App | Guest
) -> QuerySet[Payment]:
    """`queryset` narrowed to the payments of orders the viewer may see: all for
    staff and apps holding `orders:read`, the payments of one's own orders for a
    customer or a guest, none for anonymous callers."""
    if isinstance(viewer, Guest):
        return queryset.filter(order__guest_cart_id=viewer.cart_id, order__user__isnull=True)
    if isinstance(viewer, App):
        return queryset if viewer.has_scope(AppScope.ORDERS_READ) else queryset.none()
    if not viewer.is_authenticated or not viewer.is_active:
        return queryset.none()
    if viewer.is_staff:
        return queryset
    return queryset.filter(order__user=viewer)


def payment_visible(*, viewer: User | AnonymousUser | App | Guest, payment_id: int) -> Payment | None:
    """The payment if the viewer may see it, else None (no existence oracle)."""
    return payments_visible_filter(Payment.objects.select_related("order"), viewer).filter(pk=payment_id).first()


def payment_events_visible(
    *,
    viewer: User | AnonymousUser | App,
    after: int,
    up_to: int,
    order_id: int | None = None,
    limit: int | None = None,
) -> list[PaymentStatusChange]:
    """The payment events the viewer may see with `after < sequence <= up_to`, in stream order."""
    visible = payments_visible_filter(Payment.objects.all(), viewer).order_by().values("pk")
    events = PaymentStatusChange.objects.filter(sequence__gt=after, sequence__lte=up_to, payment__in=visible)
    if order_id is not None:
        events = events.filter(payment__order_id=order_id)
    events = events.select_related("payment").order_by("sequence")
    return list(events[:limit] if limit is not None else events)
