"""Enqueue Dramatiq messages through the transactional outbox.

`enqueue(actor, *args)` writes the message in the current transaction and
sends it once the transaction commits. A broker outage at that moment leaves
the row unsent; `outbox_relay()` sends it later. Actors must be idempotent:
a message can be delivered twice (sent, then the bookkeeping failed).
"""

import logging
from datetime import timedelta

import dramatiq
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage
from .purge import queryset_delete_in_batches

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
        options=options or {},
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


def outbox_purge(*, older_than: timedelta, batch_size: int) -> int:
    """Delete messages sent more than `older_than` ago (unsent ones stay for the relay)."""
    sent_long_ago = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than)
    return queryset_delete_in_batches(sent_long_ago, batch_size=batch_size)
