"""The durable, ordered streams of order and payment events, and the cursors that point into them.

Row ids are assigned at insert, not at commit: a transaction that inserted id
7 may commit after one that inserted id 8 was already delivered, and a client
resuming "after 8" would never see 7. So each event also gets a `sequence`,
`MAX + 1` taken under a lock that is held until the transaction ends. Two
consequences the subscriptions rely on:

- sequences commit in order: whoever holds 8 committed after 7 did;
- committed sequences are dense (a rolled-back transaction frees its number),
  so a reader that saw 7 and now sees 9 knows 8 exists and is committed.

The cost is that the tail of event-writing transactions (from the sequence to
the commit) runs one at a time; writers take it as their last step.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from commerce.models import OrderStatusChange, PaymentStatusChange
from infra.errors import DomainError, ErrorKind

# One lock (any bigint constant) for every stream, so that a transaction
# writing to two (a payment that moves its order) cannot deadlock with another.
_SEQUENCE_LOCK = 1_600_016

# The rows of a stream.
StreamRow = TypeVar("StreamRow", OrderStatusChange, PaymentStatusChange)


class InvalidCursor(DomainError):
    code = "INVALID_CURSOR"
    kind = ErrorKind.VALIDATION
    default_message = "This cursor is not one an order event gave out: use an event's `cursor`."


class CursorExpired(DomainError):
    code = "CURSOR_EXPIRED"
    kind = ErrorKind.VALIDATION
    default_message = "This cursor is older than the event retention: start again from the current state."


@dataclass(frozen=True)
class EventStream(Generic[StreamRow]):
    """One durable stream: the rows of `model` (with `sequence` and `created_at`) in sequence order."""

    model: type[StreamRow]
    cursor_prefix: str

    def sequence_assign(self, row: StreamRow) -> int:
        """Give `row` the next sequence; call inside its transaction, as its last write."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEQUENCE_LOCK])
        # SQLite already lets one writer at a time through, and this one has written.
        # The MAX is read in this statement, after the lock: on PostgreSQL a statement's
        # snapshot is taken when it starts, so it sees every sequence committed before.
        table = connection.ops.quote_name(self.model._meta.db_table)  # a model's, not input
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET sequence = (SELECT COALESCE(MAX(sequence), 0) + 1 FROM {table})"  # noqa: S608
                " WHERE id = %s RETURNING sequence",
                [row.pk],
            )
            (row.sequence,) = cursor.fetchone()
        return row.sequence

    def latest_sequence(self) -> int:
        """The sequence of the newest committed event (0 when there is none)."""
        return self.model.objects.aggregate(latest=Max("sequence"))["latest"] or 0

    def cursor_encode(self, sequence: int) -> str:
        return base64.urlsafe_b64encode(f"{self.cursor_prefix}{sequence}".encode()).decode()

    def cursor_decode(self, cursor: str) -> int:
        """The sequence a cursor points at, checked against the retention.

        A cursor is expired when resuming from it would skip an event older
        than `ORDER_EVENT_RETENTION_SECONDS`: the stream no longer promises to hold it.
        """
        try:
            text = base64.urlsafe_b64decode(cursor.encode()).decode()
        except (binascii.Error, UnicodeError, ValueError):
            raise InvalidCursor() from None
        number = text.removeprefix(self.cursor_prefix)
        if number == text or not number.isdigit() or int(number) > self.latest_sequence():
            raise InvalidCursor()
        sequence = int(number)
        cutoff = timezone.now() - timedelta(seconds=settings.ORDER_EVENT_RETENTION_SECONDS)
        if self.model.objects.filter(sequence__gt=sequence, created_at__lt=cutoff).exists():
            raise CursorExpired()
        return sequence


ORDER_EVENTS = EventStream(OrderStatusChange, "order-event:")
PAYMENT_EVENTS = EventStream(PaymentStatusChange, "payment-event:")
