"""Dramatiq actors of the commerce app: ids in, fresh rows loaded, one service call.

Each actor is idempotent: the services dedupe on a unique key, so a message
delivered twice notifies or mails once. `cleanup` runs every 15 minutes when
the periodiq scheduler is up (`make scheduler`).
"""

import dramatiq
from django.conf import settings
from periodiq import cron

from commerce.models import Order, OrderStatusChange
from commerce.notifications import services as notifications

_RETRIES = {"max_retries": settings.DRAMATIQ_MAX_RETRIES}


def _order(order_id: int) -> Order | None:
    return Order.objects.select_related("user").filter(pk=order_id).first()


@dramatiq.actor(**_RETRIES)
def notify_order_placed(order_id: int) -> None:
    if order := _order(order_id):
        notifications.order_placed_notify(order=order)


@dramatiq.actor(**_RETRIES)
def email_order_placed(order_id: int) -> None:
    if order := _order(order_id):
        notifications.order_placed_email_send(order=order)


@dramatiq.actor(**_RETRIES)
def notify_order_status_changed(change_id: int) -> None:
    change = OrderStatusChange.objects.select_related("order__user").filter(pk=change_id).first()
    if change:
        notifications.order_status_changed_notify(change=change)


@dramatiq.actor(**_RETRIES)
def email_order_cancelled(order_id: int) -> None:
    if order := _order(order_id):
        notifications.order_cancelled_email_send(order=order)


@dramatiq.actor(periodic=cron(settings.CLEANUP_CRON), **_RETRIES)
def cleanup() -> None:
    from commerce.cleanup import cleanup_run

    cleanup_run()
