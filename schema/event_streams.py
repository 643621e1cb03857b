"""Delivering a durable event stream (`commerce.event_stream`) to one subscriber:
first what it missed since its cursor, then live events, with no gap and no
duplicate between the two.

Listening starts before the replay reads, so an event committed after the
replay's horizon reaches the queue. A live event at or below the last one
delivered is a duplicate; one further on than the next may have overtaken
others on the channel layer, so the log is read up to it first. Sequences are
dense and commit in order, so "the next" is `delivered + 1` on a stream the
subscriber sees whole; a filtered stream always reads the log up to the event.
"""

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import models

from commerce.event_stream import EventStream

Event = TypeVar("Event")
REPLAY_PAGE = 100

# Sync, visibility-scoped: the rows with after < sequence <= up_to, in order, at most `limit`.
RowsBetween = Callable[[int, int, int | None], Sequence[models.Model]]


async def replay_then_live(
    *,
    consumer: Any,
    message_type: str,
    groups: list[str],
    stream: EventStream,
    after: int | None,
    wanted: Callable[[dict], bool],
    rows_between: RowsBetween,
    from_row: Callable[[models.Model], Event],
    from_message: Callable[[dict], Awaitable[Event | None]],
    sees_whole_stream: bool,
) -> AsyncGenerator[Event, None]:
    load = sync_to_async(rows_between)
    async with consumer.listen_to_channel(message_type, groups=groups) as messages:
        delivered = after
        if after is not None:
            horizon = await sync_to_async(stream.latest_sequence)()
            while delivered < horizon:
                page = await load(delivered, horizon, REPLAY_PAGE)
                for row in page:
                    yield from_row(row)
                delivered = page[-1].sequence if len(page) == REPLAY_PAGE else horizon
        async for message in messages:
            if not wanted(message):
                continue
            sequence = message["sequence"]
            if delivered is not None and sequence <= delivered:
                continue
            if delivered is None or (sees_whole_stream and sequence == delivered + 1):
                event = await from_message(message)
                if event is not None:
                    yield event
            else:
                for row in await load(delivered, sequence, None):
                    yield from_row(row)
            delivered = sequence
