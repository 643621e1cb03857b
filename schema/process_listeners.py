"""One channel-layer membership per process and group, shared by every subscription of
the process that follows the group.

A thousand dashboards subscribed to `orderStatusChanged` on one worker were a
thousand members of `orders.all`: every event was a thousand channel-layer
messages, each woke its consumer's receive loop (two tasks and an
`asyncio.wait` per message in channels-redis) and its dispatch. Here the
first subscription of a process to a group joins it with a channel of its own
and one task reads that channel, handing each message to the queue of every
local subscription; the last one to leave discards the membership.

A subscription may say which messages it wants (only those reach its queue) and a
process may prepare a message once before handing it out (`prepare`: an event's
order loaded for all its subscribers): a subscriber woken for a message it would
skip, or woken to wait for a load every other subscriber waits for too, was a
task switch per subscriber and event.

Joining and leaving run as tasks of their own: a subscription cancelled while
a `group_add` or `group_discard` is in flight (its socket closed) cannot leave
a member behind, and a subscription leaves its queue without waiting for Redis.
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

from channels.layers import BaseChannelLayer

from observability import metrics

logger = logging.getLogger(__name__)


Wants = Callable[[dict], bool]
Prepare = Callable[[dict], Awaitable[object]]


class _Membership:
    """This process's one channel in `group`, and the queues of its local subscriptions
    with the messages each wants."""

    def __init__(self, layer: BaseChannelLayer, group: str, message_type: str, prepare: Prepare | None):
        self.layer = layer
        self.group = group
        self.message_type = message_type
        self.prepare = prepare
        self.queues: dict[asyncio.Queue[dict | BaseException], Wants] = {}
        self.channel: str | None = None
        self.reader: asyncio.Task | None = None
        self.renew_seconds = getattr(layer, "group_expiry", 86400) / 4
        self.renewal: asyncio.Task | None = None
        self.joined: asyncio.Task = asyncio.ensure_future(self._join())

    async def _join(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.reader = asyncio.ensure_future(self._read(self.channel))
        self.renewal = asyncio.ensure_future(self._renew(self.channel))

    async def _renew(self, channel: str) -> None:
        # A membership expires after the layer's `group_expiry` (a day by default).
        while True:
            await asyncio.sleep(self.renew_seconds)
            with contextlib.suppress(Exception):  # a failure is retried at the next renewal
                await self.layer.group_add(self.group, channel)

    async def _read(self, channel: str) -> None:
        try:
            while True:
                message = await self.layer.receive(channel)
                if message.get("type") != self.message_type:
                    continue
                if self.prepare is not None and any(wants(message) for wants in self.queues.values()):
                    # A failure reaches the subscribers when they await the same preparation.
                    with contextlib.suppress(Exception):
                        await self.prepare(message)
                for queue, wants in self.queues.items():
                    if wants(message):
                        queue.put_nowait(message)
        except Exception as error:
            # The channel layer failed (Redis down, ...): end every local subscription with it.
            logger.exception("listening to group %s failed", self.group)
            for queue in self.queues:
                queue.put_nowait(error)

    async def leave(self) -> None:
        with contextlib.suppress(Exception):
            await self.joined
        for task in (self.reader, self.renewal):
            if task is not None:
                task.cancel()
        # A cancelled task's traceback holds its frames, and so this membership: kept, the
        # membership and its tasks stayed in a reference cycle until a full collection.
        self.reader = self.renewal = None
        if self.channel is not None:
            await self.layer.group_discard(self.group, self.channel)


def _failed(task: asyncio.Task) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)


def _serves(membership: _Membership) -> bool:
    """Whether new subscriptions may use it: its join has not failed and its reader still reads."""
    return not _failed(membership.joined) and (membership.reader is None or not membership.reader.done())


class _ProcessListeners:
    def __init__(self) -> None:
        self.memberships: dict[tuple[int, str, str, Prepare | None], _Membership] = {}
        self.leaving: set[asyncio.Task] = set()

    def membership(
        self, layer: BaseChannelLayer, group: str, message_type: str, prepare: Prepare | None
    ) -> _Membership:
        key = (id(layer), group, message_type, prepare)
        membership = self.memberships.get(key)
        if membership is None or not _serves(membership):
            membership = self.memberships[key] = _Membership(layer, group, message_type, prepare)
        return membership

    def release(self, membership: _Membership, queue: asyncio.Queue) -> None:
        membership.queues.pop(queue, None)
        if membership.queues:
            return
        # Forgotten at once: a subscription arriving while this one leaves joins afresh.
        key = (id(membership.layer), membership.group, membership.message_type, membership.prepare)
        if self.memberships.get(key) is membership:
            del self.memberships[key]
        task = asyncio.ensure_future(membership.leave())
        self.leaving.add(task)
        task.add_done_callback(self.leaving.discard)


# Per event loop: a test's loop, or the one loop of a server process.
_listeners: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ProcessListeners]" = weakref.WeakKeyDictionary()


async def _messages(queue: asyncio.Queue[dict | BaseException]) -> AsyncIterator[dict]:
    while True:
        message = await queue.get()
        if isinstance(message, BaseException):
            raise message
        yield message


@contextlib.asynccontextmanager
async def group_messages(
    layer: BaseChannelLayer,
    *,
    group: str,
    message_type: str,
    wants: Wants = lambda message: True,
    prepare: Prepare | None = None,
) -> AsyncIterator[AsyncIterator[dict]]:
    """The messages of `message_type` sent to `group` that it `wants`, from the moment this
    is entered (the process's membership of the group is in place when it returns), until
    it is left. `prepare` (the same function for every subscription that passes it) is
    awaited once per message this process hands out, before any subscriber gets it."""
    loop = asyncio.get_running_loop()
    listeners = _listeners.get(loop)
    if listeners is None:
        listeners = _listeners[loop] = _ProcessListeners()
    membership = listeners.membership(layer, group, message_type, prepare)
    queue: asyncio.Queue[dict | BaseException] = asyncio.Queue()
    membership.queues[queue] = wants
    counted = False
    try:
        await asyncio.shield(membership.joined)
        metrics.stream_subscribers.inc()
        counted = True
        yield _messages(queue)
    finally:
        if counted:
            metrics.stream_subscribers.dec()
        listeners.release(membership, queue)
