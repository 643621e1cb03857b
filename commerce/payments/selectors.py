"""Read-only payment queries, scoped to the caller as orders are."""

from django.db.models import QuerySet

from accounts.principal import Principal
from commerce.models import Payment, PaymentStatusChange
from commerce.order_visibility import orders_visible


def payments_visible_filter(queryset: QuerySet[Payment], principal: Principal) -> QuerySet[Payment]:
    """`queryset` narrowed to the payments of orders `principal` may see
    (`commerce.order_visibility.orders_visible`)."""
    return queryset.filter(orders_visible(principal, via="order"))


def payment_visible(*, principal: Principal, payment_id: int) -> Payment | None:
    """The payment if `principal` may see it, else None (no existence oracle)."""
    return payments_visible_filter(Payment.objects.select_related("order"), principal).filter(pk=payment_id).first()


def payment_events_visible(
    *,
    principal: Principal,
    after: int,
    up_to: int,
    order_id: int | None = None,
    limit: int | None = None,
) -> list[PaymentStatusChange]:
    """The payment events the viewer may see with `after < sequence <= up_to`, in stream order."""
    visible = payments_visible_filter(Payment.objects.all(), principal).order_by().values("pk")
    events = PaymentStatusChange.objects.filter(sequence__gt=after, sequence__lte=up_to, payment__in=visible)
    if order_id is not None:
        events = events.filter(payment__order_id=order_id)
    events = events.select_related("payment").order_by("sequence")
    return list(events[:limit] if limit is not None else events)
