"""Housekeeping: rows that only grow are purged past their retention
(docs/operations.md). Run by the `housekeeping` actor on HOUSEKEEPING_CRON."""

import logging
from dataclasses import dataclass

from django.conf import settings

from accounts.principal import Principal
from commerce.cart.guests import guest_carts_abandoned_delete
from commerce.notifications.services import sent_emails_purge
from infra.outbox import outbox_purge
from partners.services import webhook_deliveries_purge

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HousekeepingReport:
    outbox_messages_deleted: int
    webhook_deliveries_deleted: int
    sent_emails_deleted: int
    guest_carts_deleted: int


def housekeeping_run() -> HousekeepingReport:
    """Purge sent outbox messages, finished webhook deliveries, sent-email records and abandoned guest carts
    past their retention."""
    batch_size = settings.PURGE_BATCH_SIZE
    report = HousekeepingReport(
        outbox_messages_deleted=outbox_purge(older_than=settings.OUTBOX_RETENTION, batch_size=batch_size),
        webhook_deliveries_deleted=webhook_deliveries_purge(
            principal=Principal.system(), older_than=settings.WEBHOOK_DELIVERY_RETENTION, batch_size=batch_size
        ),
        sent_emails_deleted=sent_emails_purge(older_than=settings.SENT_EMAIL_RETENTION, batch_size=batch_size),
        guest_carts_deleted=guest_carts_abandoned_delete(batch_size=batch_size),
    )
    logger.info("housekeeping: %s", report)
    return report
