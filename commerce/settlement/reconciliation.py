"""Reconciliation: payments whose webhook was lost or late, settled by asking their provider."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from commerce.errors import InvalidPaymentState
from commerce.models import Payment, PaymentMethod, PaymentStatus
from commerce.payments.base import ProviderError, ProviderUnavailable
from commerce.payments.confirmation import payment_abandonment
from commerce.settlement import services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    settled: int
    failed: int
    unchanged: int
    errors: int


def payments_reconcile(*, now: datetime | None = None) -> ReconcileReport:
    """Ask providers about payments left PENDING or AUTHORIZED for longer than
    PAYMENT_RECONCILE_AFTER_MINUTES (a webhook lost or late) and settle them.

    Each payment is confirmed as `confirmPayment` would (PayPal captures an
    approved order), and its order follows. One still open at its provider after
    PAYMENT_ABANDON_AFTER_HOURS is marked FAILED ("abandoned"): the order can
    then be paid again, and the attempt can still turn SUCCEEDED if the
    provider settles it later. COD payments wait for the courier and are
    skipped; so are payments whose provider is switched off. A provider error
    is logged and counted, and the payment is tried again next run.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    abandon_before = now - timedelta(hours=settings.PAYMENT_ABANDON_AFTER_HOURS)
    stuck = (
        Payment.objects.filter(
            status__in=[PaymentStatus.PENDING, PaymentStatus.AUTHORIZED],
            provider_reference__isnull=False,
            created_at__lt=cutoff,
        )
        .exclude(method=PaymentMethod.COD)
        .order_by("pk")
    )
    counts = {"checked": 0, "settled": 0, "failed": 0, "unchanged": 0, "errors": 0}
    for payment in stuck.iterator():
        counts["checked"] += 1
        try:
            after = services.payment_confirm(payment=payment)
            still_open = after.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED)
            if still_open and payment.created_at < abandon_before:
                after = _payment_abandon(payment=after)
        except (ProviderError, ProviderUnavailable, InvalidPaymentState) as exc:
            logger.warning("reconcile: payment %s could not be checked: %s", payment.reference, exc)
            counts["errors"] += 1
            continue
        if after.status == PaymentStatus.SUCCEEDED:
            counts["settled"] += 1
        elif after.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            counts["failed"] += 1
        else:
            counts["unchanged"] += 1
    report = ReconcileReport(**counts)
    logger.info("reconcile payments: %s", report)
    return report


def _payment_abandon(*, payment: Payment) -> Payment:
    result = payment_abandonment(hours=settings.PAYMENT_ABANDON_AFTER_HOURS)
    return services.payment_settle(payment=payment, result=result, source="reconcile")
