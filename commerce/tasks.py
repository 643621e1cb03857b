"""The commerce app's Dramatiq actors, as the worker and the scheduler find them.

Workers discover `commerce.tasks` (django_dramatiq) and periodiq is pointed at
it (`make scheduler`): importing this module declares every commerce actor.
The actors themselves live with their domain (`commerce.notifications.tasks`,
`commerce.settlement.tasks`), which queue them; no domain module imports this
one, so it is free to see them all.

Each actor is idempotent: the services dedupe on a unique key, so a message
delivered twice notifies or mails once, and refunds skip what is refunded. A
failing actor (an email or provider outage) is retried with backoff, then
dead-lettered. `cleanup` runs every 15 minutes and `reconcile_payments` every
10 when the periodiq scheduler is up.
"""

from typing import Any

import dramatiq
from django.conf import settings
from periodiq import cron

from commerce.cleanup import cleanup_run
from commerce.notifications import tasks as notification_tasks  # noqa: F401 (declares its actors)
from commerce.settlement import tasks as settlement_tasks  # noqa: F401 (declares its actors)

_RETRIES: dict[str, Any] = {"max_retries": settings.DRAMATIQ_MAX_RETRIES}


@dramatiq.actor(periodic=cron(settings.CLEANUP_CRON), **_RETRIES)
def cleanup() -> None:
    cleanup_run()
