"""Dramatiq actors that notify people: ids in, fresh rows loaded, one notification service call.

Each is idempotent (the services dedupe on a unique key), so a message
delivered twice notifies or mails once. The handlers of order, payment and
fulfilment events (`handlers.py`) queue them through the outbox.
"""

from typing import Any

import dramatiq
from django.conf import settings

from commerce.models import Fulfilment, Order, OrderStatusChange, Payment

from . import services as notifications

_RETRIES: dict[str, Any] = {"max_retries": settings.DRAMATIQ_MAX_RETRIES}


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


@dramatiq.actor(**_RETRIES)
def email_order_paid(order_id: int) -> None:
    if order := _order(order_id):
        notifications.order_paid_email_send(order=order)


@dramatiq.actor(**_RETRIES)
def alert_staff_payment_mismatch(payment_id: int) -> None:
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment:
        notifications.payment_mismatch_staff_notify(payment=payment)


def _fulfilment(fulfilment_id: int) -> Fulfilment | None:
    return Fulfilment.objects.select_related("order__user").filter(pk=fulfilment_id).first()


@dramatiq.actor(**_RETRIES)
def email_order_fulfilled(fulfilment_id: int) -> None:
    if fulfilment := _fulfilment(fulfilment_id):
        notifications.order_fulfilled_email_send(fulfilment=fulfilment)


@dramatiq.actor(**_RETRIES)
def notify_order_fulfilled(fulfilment_id: int) -> None:
    if fulfilment := _fulfilment(fulfilment_id):
        notifications.order_fulfilled_notify(fulfilment=fulfilment)
