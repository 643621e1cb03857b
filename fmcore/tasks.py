"""Platform actors: housekeeping, on HOUSEKEEPING_CRON (nightly by default).
The outbox relay is not an actor: every worker process runs it (infra/outbox_relay.py)."""

import dramatiq
from django.conf import settings
from periodiq import cron


@dramatiq.actor(periodic=cron(settings.HOUSEKEEPING_CRON), max_retries=settings.DRAMATIQ_MAX_RETRIES)
def housekeeping() -> None:
    from .housekeeping import housekeeping_run

    housekeeping_run()


@dramatiq.actor(periodic=cron("* * * * *"), max_retries=0)
def scheduler_heartbeat() -> None:
    """Enqueued every minute: the scheduler's sign of life for its health check (infra/liveness.py).
    Running it is a no-op; the enqueue is what counts."""
