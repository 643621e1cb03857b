"""Dramatiq actors of settlement: ids in, one settlement service call.

Each is safe to repeat (refunds skip what is refunded); a provider error makes
Dramatiq retry with backoff. `reconcile_payments` runs every
PAYMENT_RECONCILE_CRON when the periodiq scheduler is up (`make scheduler`).
"""

from typing import Any

import dramatiq
from django.conf import settings
from periodiq import cron

from commerce.settlement import reconciliation, services

_RETRIES: dict[str, Any] = {"max_retries": settings.DRAMATIQ_MAX_RETRIES}


@dramatiq.actor(**_RETRIES)
def refund_order_payments(order_id: int) -> None:
    services.order_cancelled_refund(order_id=order_id)


@dramatiq.actor(**_RETRIES)
def refund_payment(payment_id: int, reason: str = "") -> None:
    services.payment_refund_remaining(payment_id=payment_id, reason=reason)


@dramatiq.actor(periodic=cron(settings.PAYMENT_RECONCILE_CRON), **_RETRIES)
def reconcile_payments() -> None:
    reconciliation.payments_reconcile()
