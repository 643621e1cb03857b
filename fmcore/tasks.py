"""Platform actors: the outbox relay, run every minute by the scheduler."""

import dramatiq
from periodiq import cron

from .outbox import outbox_relay


@dramatiq.actor(periodic=cron("* * * * *"), max_retries=0)
def relay_outbox() -> None:
    outbox_relay()
