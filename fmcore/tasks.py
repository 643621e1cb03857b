"""Platform actors: the outbox relay, run every minute by the scheduler, and
housekeeping, on HOUSEKEEPING_CRON (nightly by default)."""

import dramatiq
from django.conf import settings
from periodiq import cron

from .outbox import outbox_relay


@dramatiq.actor(periodic=cron("* * * * *"), max_retries=0)
def relay_outbox() -> None:
    outbox_relay()


@dramatiq.actor(periodic=cron(settings.HOUSEKEEPING_CRON), max_retries=settings.DRAMATIQ_MAX_RETRIES)
def housekeeping() -> None:
    from .housekeeping import housekeeping_run

    housekeeping_run()
