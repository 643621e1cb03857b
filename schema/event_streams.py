"""Delivering a durable event stream (`commerce.event_stream`) to one subscriber:
first what it missed since its cursor, then live events, with no gap and no
duplicate between the two.

Listening starts before the replay reads, so an event committed after the
replay's horizon reaches the queue. A live event at or below the last one
delivered is a duplicate; one further on than the next may have overtaken
others on the channel layer, so the log is read up to it first. Sequences are
dense and commit in order, so "the next" is `delivered + 1` on a stream the
subscriber sees whole; a filtered stream always reads the log up to the event.

A live event's shared answer is written to the socket from here when it can be
(`sent_directly`), instead of being yielded to graphql-core and strawberry.
"""

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer
from graphql import GraphQLError
from strawberry import relay

from commerce.event_stream import EventStream, StreamRow
from commerce.order_visibility import may_read_all_orders, order_events_access_check
from commerce.orders.selectors import order_visible
from infra.errors import DomainError, NotFound
from schema.context import Info
from schema.ids import node_pk
from schema.process_listeners import group_messages
from schema.shared_results import sent_directly

Event = TypeVar("Event")
REPLAY_PAGE = 100


def subscription_refusal(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


@dataclass(frozen=True)
class OrderStreamScope:
    """Which events of an order-keyed stream one subscriber follows, and from where."""

    sees_all: bool  # staff and apps with `orders:read`: every customer's orders
    user_id: int | None
    order_id: int | None  # one order's events only
    resume_from: int | None  # the sequence `after` points at

    def wants(self, message: dict) -> bool:
        return (self.order_id is None or message["order_id"] == self.order_id) and (
            self.sees_all or message["user_id"] == self.user_id
        )

    @property
    def sees_whole_stream(self) -> bool:
        return self.sees_all and self.order_id is None

    def group(self, *, everyone: str, of_user: Callable[[int], str]) -> str:
        """The channel-layer group to listen to: the stream's group for everyone for a
        caller who sees all orders, else the group of the caller's own."""
        if self.sees_all:
            return everyone
        assert self.user_id is not None  # order_stream_scope let only a logged-in user through
        return of_user(self.user_id)


async def order_stream_scope(
    info: Info, *, stream: EventStream[StreamRow], order_id: relay.GlobalID | None, after: str | None
) -> OrderStreamScope:
    """The caller's scope of `stream`; a `GraphQLError` with the code when it may not follow
    it, the order is not one it may see (`NOT_FOUND`) or the cursor is bad."""
    principal = info.context.principal
    try:
        order_events_access_check(principal=principal)
    except DomainError as error:
        raise subscription_refusal(error.message, error.code) from None
    wanted: int | None = None
    if order_id is not None:
        try:
            wanted = node_pk(order_id, "Order")
        except NotFound:
            wanted = None
        if wanted is None or not await database_sync_to_async(order_visible)(principal=principal, order_id=wanted):
            raise subscription_refusal("No order with this id.", "NOT_FOUND")
    resume_from: int | None = None
    if after is not None:
        try:
            resume_from = await database_sync_to_async(stream.cursor_decode)(after)
        except DomainError as error:
            raise subscription_refusal(error.message, error.code) from None
    return OrderStreamScope(
        sees_all=may_read_all_orders(principal),
        user_id=info.context.user.pk,
        order_id=wanted,
        resume_from=resume_from,
    )


# Sync, visibility-scoped: the rows with after < sequence <= up_to, in order, at most `limit`.
RowsBetween = Callable[[int, int, int | None], Sequence[StreamRow]]


async def replay_then_live(
    *,
    layer: BaseChannelLayer,
    message_type: str,
    group: str,
    stream: EventStream[StreamRow],
    after: int | None,
    wanted: Callable[[dict], bool],
    rows_between: RowsBetween[StreamRow],
    from_row: Callable[[StreamRow], Event],
    from_message: Callable[[dict], Awaitable[Event | None]],
    sees_whole_stream: bool,
    prepare: Callable[[dict], Awaitable[object]] | None = None,
) -> AsyncGenerator[Event, None]:
    """`prepare`: what `from_message` awaits that is the same for every subscriber (an event's
    order), done once per message by this process before waking any of them."""
    load = database_sync_to_async(rows_between)
    async with group_messages(layer, group=group, message_type=message_type, wants=wanted, prepare=prepare) as messages:
        delivered = after
        if delivered is not None:
            horizon = await database_sync_to_async(stream.latest_sequence)()
            while delivered < horizon:
                page = await load(delivered, horizon, REPLAY_PAGE)
                for row in page:
                    yield from_row(row)
                replayed = page[-1].sequence if len(page) == REPLAY_PAGE else horizon
                assert replayed is not None  # a replayed row has its sequence (> after)
                delivered = replayed
        async for message in messages:  # only those it `wanted`
            sequence = message["sequence"]
            if delivered is not None and sequence <= delivered:
                continue
            if delivered is None or (sees_whole_stream and sequence == delivered + 1):
                event = await from_message(message)
                if event is not None and not await sent_directly(event):
                    yield event
            else:
                for row in await load(delivered, sequence, None):
                    yield from_row(row)
            delivered = sequence
