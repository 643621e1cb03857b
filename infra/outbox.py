"""Enqueue Dramatiq messages through the transactional outbox.

`enqueue(actor, *args)` writes the message in the current transaction and
sends it once the transaction commits. A broker outage at that moment leaves
the row unsent; the relay sends it later: `infra.outbox_relay`, a thread in every
worker process, drains the outbox every `OUTBOX_RELAY_INTERVAL_SECONDS`, in
batches until nothing is left, so it sends as fast as the broker takes
messages, and it starts within one interval of the broker's recovery.
Actors must be idempotent: a message can be delivered twice (sent, then the
bookkeeping failed). Rows that carry a domain event (`infra.domain_events`)
are not sent to the broker: the relay dispatches them to their handlers in the
transaction that marks them sent, so each is dispatched once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from observability.actors import with_request_id

from .domain_events import EVENT_ROW_ACTOR, event_row_dispatch
from .models import OutboxMessage
from .purge import queryset_delete_in_batches

logger = logging.getLogger("fmcore.outbox")
RELAY_BATCH_SIZE = 500


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
    transaction.on_commit(lambda: _send_committed([row]))
    return row


def enqueue_many(messages: list[tuple[dramatiq.Actor, tuple]], *, options: dict | None = None) -> int:
    """`enqueue` for several `(actor, args)` messages: one insert, and after commit
    one update marking the sent ones."""
    options = with_request_id(options or {})
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(actor_name=actor.actor_name, queue_name=actor.queue_name, args=list(args), options=options)
            for actor, args in messages
        ]
    )
    transaction.on_commit(lambda: _send_committed(rows))
    return len(rows)


def enqueue_batch(actor: dramatiq.Actor, *, args_list: list[tuple], options: dict | None = None) -> int:
    """`enqueue_many` for many messages of one actor."""
    return enqueue_many([(actor, args) for args in args_list], options=options)


def _broker_send(row: OutboxMessage) -> None:
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=row.queue_name,
        actor_name=row.actor_name,
        args=tuple(row.args),
        kwargs=row.kwargs,
        options=row.options,
    )
    dramatiq.get_broker().enqueue(message)


def _failed(row: OutboxMessage, exc: Exception) -> None:
    logger.warning("outbox message %s not sent: %s", row.pk, exc)
    OutboxMessage.objects.filter(pk=row.pk).mark_failed(exc)


def _send_committed(rows: list[OutboxMessage]) -> None:
    sent_ids = []
    for row in rows:
        try:
            _broker_send(row)
        except Exception as exc:  # the broker is down or refuses: the relay retries
            _failed(row, exc)
            continue
        sent_ids.append(row.pk)
    if sent_ids:
        OutboxMessage.objects.filter(pk__in=sent_ids, sent_at__isnull=True).mark_sent()


def _event_row_relay(row: OutboxMessage) -> bool:
    """Dispatch a domain event whose dispatch at commit did not happen; whether it succeeded."""
    try:
        with transaction.atomic():
            event_row_dispatch(row)
    except Exception as exc:  # a handler failed: its effects rolled back, the next round tries again
        _failed(row, exc)
        return False
    return True


def _relay_batch(cutoff, batch_size: int) -> tuple[int, bool]:
    """Send one batch of unsent messages; (how many were sent, whether the broker took them all)."""
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=cutoff)
            .order_by("id")[:batch_size]
        )
        sent_ids = []
        broker_up = True
        for row in rows:
            if row.actor_name == EVENT_ROW_ACTOR:
                if _event_row_relay(row):
                    sent_ids.append(row.pk)
                continue
            try:
                _broker_send(row)
            except Exception as exc:  # the broker is still down: the next round tries again
                _failed(row, exc)
                broker_up = False
                break
            sent_ids.append(row.pk)
        OutboxMessage.objects.filter(pk__in=sent_ids).mark_sent()
    return len(sent_ids), broker_up and len(rows) == batch_size


def outbox_relay(*, older_than: timedelta = timedelta(seconds=10), batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Send every unsent message older than `older_than` (fresh commits send their own),
    batch after batch, until none is left or the broker fails; returns how many were sent.

    Rows are locked while they are sent (`SKIP LOCKED`), so relays in several
    processes share the work and never send a row twice.
    """
    cutoff = timezone.now() - older_than
    sent = 0
    more = True
    while more:
        batch_sent, more = _relay_batch(cutoff, batch_size)
        sent += batch_sent
    return sent


def outbox_purge(*, older_than: timedelta, batch_size: int) -> int:
    """Delete messages sent more than `older_than` ago (unsent ones stay for the relay)."""
    sent_long_ago = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - older_than)
    return queryset_delete_in_batches(sent_long_ago, batch_size=batch_size)


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
