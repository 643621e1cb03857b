"""Enqueue Dramatiq messages through the transactional outbox.

`enqueue(actor, *args)` writes the message in the current transaction and
sends it once the transaction commits. A broker outage at that moment leaves
the row unsent; `outbox_relay()` sends it later. Actors must be idempotent:
a message can be delivered twice (sent, then the bookkeeping failed).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

import dramatiq
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from observability.actors import with_request_id

from .models import OutboxMessage

logger = logging.getLogger("fmcore.outbox")


def enqueue(actor: dramatiq.Actor, *args, **kwargs) -> OutboxMessage:
    return enqueue_with_options(actor, args=args, kwargs=kwargs)


def enqueue_with_options(
    actor: dramatiq.Actor, *, args: tuple = (), kwargs: dict | None = None, options: dict | None = None
) -> OutboxMessage:
    """`enqueue`, with message options (e.g. `max_retries`, `min_backoff`) for this message."""
    row = OutboxMessage.objects.create(
        actor_name=actor.actor_name,
        queue_name=actor.queue_name,
        args=list(args),
        kwargs=kwargs or {},
        # The row is sent after commit or by the relay, outside this request: keep its id now.
        options=with_request_id(options or {}),
    )
    transaction.on_commit(lambda: _send(row))
    return row


def _send(row: OutboxMessage) -> bool:
    message = dramatiq.Message(
        queue_name=row.queue_name,
        actor_name=row.actor_name,
        args=tuple(row.args),
        kwargs=row.kwargs,
        options=row.options,
    )
    try:
        dramatiq.get_broker().enqueue(message)
    except Exception as exc:  # the broker is down or refuses: the relay retries
        logger.warning("outbox message %s not sent: %s", row.pk, exc)
        OutboxMessage.objects.filter(pk=row.pk).update(attempts=row.attempts + 1, last_error=str(exc)[:1000])
        return False
    OutboxMessage.objects.filter(pk=row.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=row.attempts + 1
    )
    return True


def outbox_relay(*, older_than: timedelta = timedelta(seconds=10), limit: int = 500) -> int:
    """Send unsent messages (older than `older_than`, so fresh commits send their own)."""
    cutoff = timezone.now() - older_than
    sent = 0
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=cutoff)
            .order_by("id")[:limit]
        )
        for row in rows:
            sent += _send(row)
    return sent


def outbox_purge(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete sent messages past their audit window."""
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


@dataclass(frozen=True)
class OutboxBacklog:
    count: int
    oldest_age_seconds: float  # 0 when nothing waits


def outbox_backlog_status() -> OutboxBacklog:
    """How many messages wait to be sent, and for how long the oldest has."""
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(count=Count("id"), oldest=Min("created_at"))
    oldest = unsent["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return OutboxBacklog(count=unsent["count"], oldest_age_seconds=max(age, 0.0))
