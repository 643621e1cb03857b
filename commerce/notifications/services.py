"""In-app notifications and transactional emails about orders.

Every function here is safe to call twice with the same event: a dedupe key
(unique in the database) makes the second call a no-op, so a redelivered
Dramatiq message never notifies or mails anyone twice.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from commerce.models import Fulfilment, Notification, Order, OrderStatus, OrderStatusChange, Payment, SentEmail
from infra.purge import queryset_delete_in_batches

ORDER_PLACED = "ORDER_PLACED"
ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
PAYMENT_MISMATCH = "PAYMENT_MISMATCH"
ORDER_FULFILLED = "ORDER_FULFILLED"

_STATUS_WORDS: dict[str, str] = {
    OrderStatus.PENDING: "is waiting for payment",
    OrderStatus.CONFIRMED: "is confirmed",
    OrderStatus.PAID: "is paid",
    OrderStatus.COMPLETED: "is complete",
    OrderStatus.CANCELLED: "was cancelled",
}


def notification_create(
    *, user: User, kind: str, title: str, body: str = "", dedupe_key: str | None = None
) -> Notification | None:
    """Create an in-app notification; None if one with `dedupe_key` already exists."""
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(user=user, kind=kind, title=title, body=body, dedupe_key=dedupe_key)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the caller's notifications read: those in `ids`, or all when `ids` is
    None or empty. Ids of other users' notifications are ignored. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read=False)
    if ids:
        unread = unread.filter(pk__in=ids)
    return unread.update(read=True)


def email_send_once(*, dedupe_key: str, recipient: str, subject: str, body: str) -> bool:
    """Send an email to `recipient` unless one with `dedupe_key` went out already.
    If sending fails, the record is rolled back so that a retry sends it."""
    with transaction.atomic():
        _, created = SentEmail.objects.get_or_create(
            dedupe_key=dedupe_key, defaults={"recipient": recipient, "subject": subject[:200]}
        )
        if not created:
            return False
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    return True


def order_recipient(order: Order) -> str:
    """Where an order's mails go: its customer's address, or the guest's email."""
    return order.user.email if order.user is not None else order.email


def sent_emails_purge(*, older_than: timedelta, batch_size: int) -> int:
    """Delete records of emails sent more than `older_than` ago. Their dedupe keys
    only guard against a task redelivered within hours, so old ones can go."""
    sent_long_ago = SentEmail.objects.filter(sent_at__lt=timezone.now() - older_than)
    return queryset_delete_in_batches(sent_long_ago, batch_size=batch_size)


def _order_summary(order: Order) -> str:
    lines = "\n".join(
        f"  {line.quantity} x {line.product_name} @ {line.unit_price} = {line.line_total}" for line in order.lines.all()
    )
    return (
        f"{lines}\n\nSubtotal: {order.subtotal} {order.currency}\nTax: {order.tax} {order.currency}\n"
        f"Total: {order.total} {order.currency}"
    )


def order_placed_notify(*, order: Order) -> Notification | None:
    """Tell the customer in the app that their order was placed (once per order); guests have no app inbox."""
    if order.user is None:
        return None
    return notification_create(
        user=order.user,
        kind=ORDER_PLACED,
        title=f"Order {order.number} placed",
        body=f"Thank you! Your order {order.number} of {order.total} {order.currency} was placed.",
        dedupe_key=f"order-placed:{order.pk}",
    )


def order_placed_email_send(*, order: Order) -> bool:
    """Email the customer their order confirmation (once per order)."""
    return email_send_once(
        dedupe_key=f"email:order-placed:{order.pk}",
        recipient=order_recipient(order),
        subject=f"Your order {order.number}",
        body=f"Thank you for your order {order.number}.\n\n{_order_summary(order)}\n\n"
        f"Follow it at {settings.FRONTEND_URL}/orders/{order.number}",
    )


def order_status_changed_notify(*, change: OrderStatusChange) -> Notification | None:
    """Tell the owner in the app that their order moved (once per status change); guests have no app inbox."""
    order = change.order
    if order.user is None:
        return None
    return notification_create(
        user=order.user,
        kind=ORDER_STATUS_CHANGED,
        title=f"Order {order.number} {_STATUS_WORDS[change.to_status]}",
        body=f"Your order {order.number} is now {change.to_status}." + (f"\n{change.note}" if change.note else ""),
        dedupe_key=f"order-status:{change.pk}",
    )


def order_cancelled_email_send(*, order: Order) -> bool:
    """Email the customer that their order was cancelled (once per order)."""
    reason = order.history.filter(to_status=OrderStatus.CANCELLED).values_list("note", flat=True).first()
    was_paid = order.history.filter(to_status=OrderStatus.PAID).exists()
    return email_send_once(
        dedupe_key=f"email:order-cancelled:{order.pk}",
        recipient=order_recipient(order),
        subject=f"Your order {order.number} was cancelled",
        body=f"Your order {order.number} was cancelled." + (f"\nReason: {reason}" if reason else "") + "\n\n"
        f"{_order_summary(order)}" + ("\n\nYour payment will be refunded." if was_paid else ""),
    )


def order_paid_email_send(*, order: Order) -> bool:
    """Email the customer that their order is paid and confirmed (once per order)."""
    return email_send_once(
        dedupe_key=f"email:order-paid:{order.pk}",
        recipient=order_recipient(order),
        subject=f"Order {order.number} confirmed: payment received",
        body=f"We received your payment for order {order.number}. Thank you!\n\n{_order_summary(order)}\n\n"
        f"Follow it at {settings.FRONTEND_URL}/orders/{order.number}",
    )


def _shipment_summary(fulfilment: Fulfilment) -> str:
    lines = "\n".join(
        f"  {line.quantity} x {line.order_line.product_name}" for line in fulfilment.lines.select_related("order_line")
    )
    tracking = f"\nTrack it at {fulfilment.tracking_url}" if fulfilment.tracking_url else ""
    return f"{lines}\n\nCarrier: {fulfilment.carrier}\nTracking number: {fulfilment.tracking_number}{tracking}"


def order_fulfilled_notify(*, fulfilment: Fulfilment) -> Notification | None:
    """Tell the customer in the app that a shipment of their order left (once per shipment);
    guests have no app inbox."""
    order = fulfilment.order
    if order.user is None:
        return None
    return notification_create(
        user=order.user,
        kind=ORDER_FULFILLED,
        title=f"Order {order.number} has shipped",
        body=f"{fulfilment.carrier} is bringing your order {order.number}: tracking number "
        f"{fulfilment.tracking_number}.",
        dedupe_key=f"order-fulfilled:{fulfilment.pk}",
    )


def order_fulfilled_email_send(*, fulfilment: Fulfilment) -> bool:
    """Email the customer that (part of) their order has shipped, with the tracking details (once per shipment)."""
    order = fulfilment.order
    return email_send_once(
        dedupe_key=f"email:order-fulfilled:{fulfilment.pk}",
        recipient=order_recipient(order),
        subject=f"Your order {order.number} has shipped",
        body=f"Good news: your order {order.number} is on its way.\n\n{_shipment_summary(fulfilment)}\n\n"
        f"Follow it at {settings.FRONTEND_URL}/orders/{order.number}",
    )


def payment_mismatch_staff_notify(*, payment: Payment) -> int:
    """Alert every active staff user in the app that a provider reported another
    amount or currency for a payment (once per payment and person). Returns how many were created."""
    order = payment.order
    created = 0
    for staff in User.objects.filter(is_staff=True, is_active=True).order_by("pk"):
        created += bool(
            notification_create(
                user=staff,
                kind=PAYMENT_MISMATCH,
                title=f"Payment mismatch on order {order.number}",
                body=f"{payment.failure_reason or 'The provider reported another amount or currency.'}\n"
                f"Payment {payment.reference} ({payment.provider} {payment.provider_reference}) is {payment.status}; "
                f"the order is {order.status}. Check it at the provider before doing anything else.",
                dedupe_key=f"payment-mismatch:{payment.pk}:{staff.pk}",
            )
        )
    return created
