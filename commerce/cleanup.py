"""Periodic clean-up: expired auth tokens, throttle counters and orders left unpaid too long.

Run by `python manage.py cleanup` and by the `cleanup` Dramatiq actor, which
periodiq schedules (see `commerce/tasks.py`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import RefreshToken
from accounts.principal import Principal
from accounts.throttle import throttle_counters_expired_delete
from commerce.errors import InvalidTransition
from commerce.models import Order, OrderStatus
from commerce.orders.status import order_transition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanupReport:
    refresh_tokens_deleted: int
    orders_cancelled: int
    throttle_counters_deleted: int


def refresh_tokens_expired_delete(*, now: datetime | None = None) -> int:
    """Delete refresh tokens past their expiry (each outlives the access token issued with it)."""
    now = now or timezone.now()
    deleted, _ = RefreshToken.objects.filter(expires_at__lt=now).delete()
    return deleted


def orders_stale_pending_cancel(*, now: datetime | None = None) -> int:
    """Cancel PENDING orders older than PENDING_ORDER_TTL_MINUTES, restoring their stock.

    Each order moves in its own transaction through `order_transition`, so an
    order paid or cancelled meanwhile is simply skipped.
    """
    now = now or timezone.now()
    minutes = settings.PENDING_ORDER_TTL_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    cancelled = 0
    for order in Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).order_by("pk").iterator():
        try:
            order_transition(
                order=order,
                to=OrderStatus.CANCELLED,
                principal=Principal.system(),
                note=f"Not paid within {minutes} minutes.",
            )
        except InvalidTransition:
            continue
        cancelled += 1
    return cancelled


def cleanup_run(*, now: datetime | None = None) -> CleanupReport:
    """Run every clean-up step once and say what it removed."""
    now = now or timezone.now()
    report = CleanupReport(
        refresh_tokens_deleted=refresh_tokens_expired_delete(now=now),
        orders_cancelled=orders_stale_pending_cancel(now=now),
        throttle_counters_deleted=throttle_counters_expired_delete(now=now),
    )
    logger.info("cleanup: %s", report)
    return report
