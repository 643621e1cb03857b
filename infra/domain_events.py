"""Domain events: the one way side effects leave a service's transaction.

A service calls `record(event)` inside its transaction with a frozen
`DomainEvent` that the domain it happened in defines (`OrderPlaced` in
`commerce.orders.events`, ...). The event is written to the outbox in that
transaction, so it exists exactly when the change commits, and nothing leaves
for a transaction that rolls back.

Handlers subscribe by event type. Each consuming domain declares its own in a
`HANDLERS` list (`commerce/notifications/handlers.py`, `partners/handlers.py`,
...), and its `AppConfig.ready` passes that list to `handlers_register`: the
one place to look for who reacts to what is the `ready` of each app.

Two kinds of handler:

- at commit (`at_commit=True`): run in the committing process right after the
  commit, best effort and never again (the channel-layer push that feeds the
  subscriptions, which resume from the durable streams after a gap);
- durable (the default): run after commit too, all in one transaction that
  also marks the event's outbox row sent. If that dispatch raises or the
  process dies first, the row stays unsent and the outbox relay dispatches
  it (`event_row_dispatch`), again in one transaction with marking it sent.
  The row lock makes the two exclusive, so each durable handler's effects
  commit exactly once per event. Handlers write rows or queue actors through
  the outbox; a handler that raises rolls the whole dispatch back.
"""

import dataclasses
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction

from .models import OutboxMessage

logger = logging.getLogger("fmcore.domain_events")

# The outbox rows that carry an event rather than a Dramatiq message.
EVENT_ROW_ACTOR = "domain_event"


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened, as JSON-ready fields (ids, strings, numbers).

    Subclasses are frozen dataclasses named by the domain that owns them:
    `class OrderPlaced(DomainEvent, name="order.placed")`. The name is what
    the outbox stores, so it must not change once events of it were written.
    A subclass without a name is a base of shared fields, never recorded.
    """

    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))

    name: ClassVar[str]
    _types: ClassVar[dict[str, type["DomainEvent"]]] = {}

    def __init_subclass__(cls, *, name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is None:
            return
        if name in DomainEvent._types:
            raise ValueError(f"Two domain events are named {name!r}.")
        cls.name = name
        DomainEvent._types[name] = cls

    @staticmethod
    def decode(name: str, data: dict[str, Any]) -> "DomainEvent":
        return DomainEvent._types[name](**data)


Event = TypeVar("Event", bound=DomainEvent)


@dataclass(frozen=True)
class Handler(Generic[Event]):
    """`run` is called with each committed event of type `event`."""

    event: type[Event]
    run: Callable[[Event], None]
    at_commit: bool = False


_handlers: dict[type[DomainEvent], list[Handler[Any]]] = defaultdict(list)


def handlers_register(handlers: Iterable[Handler[Any]]) -> None:
    """Subscribe `handlers`; called once per consuming app, from its `AppConfig.ready`."""
    for handler in handlers:
        _handlers[handler.event].append(handler)


def handlers_of(event_type: type[DomainEvent]) -> list[Handler[Any]]:
    return list(_handlers.get(event_type, ()))


def record(event: DomainEvent) -> None:
    """Record `event` in the current transaction; its handlers run once it commits.

    Only an event with durable handlers needs the outbox row (one that has
    only at-commit handlers, a payment's status push, is gone with its process)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() belongs inside the transaction that makes the change.")
    handlers = handlers_of(type(event))
    row_id = None
    if any(not handler.at_commit for handler in handlers):
        row_id = OutboxMessage.objects.create(
            actor_name=EVENT_ROW_ACTOR, args=[event.name, dataclasses.asdict(event)]
        ).pk
    transaction.on_commit(lambda: _committed(event, handlers, row_id))


def _committed(event: DomainEvent, handlers: list[Handler[Any]], row_id: int | None) -> None:
    for handler in handlers:
        if handler.at_commit:
            try:
                handler.run(event)
            except Exception:
                # The change is committed; a broken push must not turn it into an error.
                logger.exception("At-commit handler of %s %s failed", event.name, event.id)
    if row_id is None:
        return
    try:
        with transaction.atomic():
            claimed = OutboxMessage.objects.filter(pk=row_id, sent_at__isnull=True).mark_sent()
            if claimed:
                _durable_run(event, handlers)
    except Exception as exc:  # the relay dispatches it later
        logger.exception("Dispatch of %s %s failed; the outbox relay retries it", event.name, event.id)
        OutboxMessage.objects.filter(pk=row_id).mark_failed(exc)


def _durable_run(event: DomainEvent, handlers: list[Handler[Any]]) -> None:
    for handler in handlers:
        if not handler.at_commit:
            handler.run(event)


def event_row_dispatch(row: OutboxMessage) -> None:
    """Run the durable handlers of the event `row` carries; the relay calls it with
    the row locked, in the transaction that marks it sent."""
    name, data = row.args
    event = DomainEvent.decode(name, data)
    _durable_run(event, handlers_of(type(event)))
