"""One execution of a subscription's selection per live event, document and
visibility, shared by every subscriber of this process that gets the same answer.

A thousand staff dashboards following `orderStatusChanged` each ran the same
selection over the same event: a thousand executions per event and worker, most
of a fan-out's CPU. An event built from a channel-layer message names itself
(`shared_as`, e.g. the status change's id and time); the executor then keys the
result on that name, the subscription document with its variables, and
`visibility_of(context)`: what decides, in this schema's resolvers, what a
caller may see. Two subscribers share a result only if all three match, so a
customer never receives an answer executed for someone else.

Events replayed from the log carry no name and are executed per subscriber.

A shared answer is also encoded once: the graphql-transport-ws `next` frames of
its subscribers differ only in their operation `id` (`next_frame`).

And a live event's shared answer without errors is written to the subscriber's
socket by its own event stream (`sent_directly`), not yielded: graphql-core's
per-event iterator and executor copy, strawberry's per-result `ExecutionResult`,
extension hooks and message dict were ~60% of a fan-out's CPU, for a frame that is
the same bytes. The stream is the subscription's only producer and strawberry
awaits each frame's send before asking it for the next event, so a frame written
from it cannot overtake one yielded before it; a slow socket holds up only its own
subscription, as before. An answer with errors is yielded and goes the normal way.
"""

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextvars import ContextVar
from typing import Any

import orjson
from django.contrib.auth.models import AnonymousUser
from graphql import ExecutionResult, GraphQLResolveInfoHelpers, OperationType, print_ast
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.types import NextMessagePayload

from accounts.models import User
from partners.models import App

from .context import Context


class ShortLived:
    """Values computed once per key and process, kept for `ttl` seconds (at most `size` of them).

    A key names one event, so entries are only useful while its subscribers
    receive it; the time limit keeps a reused key (a restored database, tests)
    from ever matching an old entry.
    """

    def __init__(self, *, ttl: float = 5.0, size: int = 256):
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, asyncio.AbstractEventLoop | None, Any]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value for `key`, computing it on the first call (or after `ttl`).

        An awaitable from `compute` runs once as a task of the running loop;
        every caller gets an awaitable of that task, shielded so that one
        subscriber leaving does not cancel the others' result."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] <= self.ttl:
            _, loop, value = entry
            if loop is None:
                return value
            if loop is asyncio.get_running_loop():
                # Awaiting a finished task costs nothing; a shield per subscriber was 10% of a fan-out.
                return value if value.done() else asyncio.shield(value)
        value = compute()
        loop = None
        if isinstance(value, Awaitable):
            loop = asyncio.get_running_loop()
            value = asyncio.ensure_future(value)
        self._entries[key] = (now, loop, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return asyncio.shield(value) if loop is not None else value

    def clear(self) -> None:
        self._entries.clear()


def visibility_of(context: Context) -> Hashable:
    """Who the caller is, as far as any resolver of this schema can tell.

    Resolvers decide what to show from the caller's staff flags (the policy
    rules behind `Allowed`: staff see every order, payment and actor), a
    partner app's scopes, and for everyone else their own id (their orders,
    their payments, themself as an actor). So every active staff user with the
    same flags gets the same answer, an app its own, anyone else their own. A
    resolver that starts telling apart two staff users must add what it reads here.
    """
    viewer: User | AnonymousUser | App = context.viewer
    if isinstance(viewer, App):
        return ("app", viewer.pk, viewer.is_active, tuple(sorted(viewer.scopes or [])))
    if viewer.is_authenticated and viewer.is_active and viewer.is_staff:
        return ("staff", viewer.is_superuser)
    return ("user", viewer.pk, viewer.is_authenticated and viewer.is_active)


_results = ShortLived()


class SharedResultExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, sharing the result of a subscription event that names itself.

    `shared_as` is read from the event (the per-event root value); events
    without it are executed as usual, and so are queries and mutations."""

    document_key: Hashable | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core stores helpers bound to the executor on the executor: a reference
        # cycle that kept each closed subscription's executor, context and user until a
        # full collection (the workers' RSS ~15 MB above its level after a thousand closed).
        self.async_helpers = GraphQLResolveInfoHelpers(gather=_gather, track=_tracker_of(self))
        if self.operation.operation is OperationType.SUBSCRIPTION:
            # Built once per subscription, in its operation's task, before its event stream starts.
            _subscription_executor.set(weakref.ref(self))

    def build_per_event_executor(self, payload: Any) -> Any:
        self._document_key()
        return super().build_per_event_executor(payload)

    def _document_key(self) -> Hashable:
        if self.document_key is None:
            # Once per subscription: the document as sent (its fragments too), the
            # operation's name and the variables as sent.
            variables = {name: source.value for name, source in self.variable_values.sources.items()}
            location = self.operation.loc
            self.document_key = (
                location.source.body if location is not None else self._printed_document(),
                self.operation.name.value if self.operation.name else None,
                orjson.dumps(variables, default=repr, option=orjson.OPT_SORT_KEYS),
            )
        return self.document_key

    def _printed_document(self) -> str:
        fragments = (print_ast(fragment) for _, fragment in sorted(self.fragment_definitions.items()))
        return "\n".join((print_ast(self.operation), *fragments))

    def execute_operation(self, serially: bool | None = None) -> Any:
        event_key = getattr(self.root_value, "shared_as", None)
        if event_key is None or self.operation.operation is not OperationType.SUBSCRIPTION:
            return super().execute_operation(serially)
        key = (event_key, self.document_key, visibility_of(self.context_value))
        return _results.get(key, lambda: super(SharedResultExecutor, self).execute_operation(serially))

    def shared_result(self, event: Any, event_key: Hashable) -> Any:
        """This subscription's result for `event` (named `event_key`), as its per-event
        executor would give it, without building that executor when the result is shared."""
        key = (event_key, self._document_key(), visibility_of(self.context_value))
        return _results.get(key, lambda: self.build_per_event_executor(event).execute_operation(False))


def _gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _tracker_of(executor: SharedResultExecutor) -> Callable[[Sequence[Any]], None]:
    """`executor.track_async_work` without a reference to `executor`."""
    executor_ref = weakref.ref(executor)

    def track(values: Sequence[Any]) -> None:
        alive = executor_ref()
        if alive is not None:
            alive.track_async_work(values)

    return track


# A shared answer's `data` is one object for all its subscribers; the entry keeps it
# alive, so its id cannot name another object while the entry lives.
_encoded_data = ShortLived(size=64)


def next_frame(operation_id: str, payload: dict, encode: Callable[[object], bytes]) -> str:
    """The graphql-transport-ws `next` message for `payload`, its `data` encoded once
    per answer object (an answer with errors or extensions is encoded whole)."""
    if payload.keys() != {"data"}:
        return encode({"id": operation_id, "type": "next", "payload": payload}).decode()
    data = payload["data"]
    encoded_for, encoded = _encoded_data.get(id(data), lambda: (data, encode(data).decode()))
    if encoded_for is not data:
        encoded = encode(data).decode()
    return f'{{"id":{orjson.dumps(operation_id).decode()},"type":"next","payload":{{"data":{encoded}}}}}'


# Set in each subscription's operation task: the executor graphql-core built for it (held
# weakly, so the task's context keeps no closed subscription's executor, context and user),
# and how the transport sends its `next` frames when it lets the stream write them directly.
_subscription_executor: ContextVar[weakref.ref[SharedResultExecutor] | None] = ContextVar(
    "subscription_executor", default=None
)
FrameWriter = Callable[[NextMessagePayload], Awaitable[None]]
frame_writer: ContextVar[FrameWriter | None] = ContextVar("frame_writer", default=None)


async def sent_directly(event: Any) -> bool:
    """Whether `event`'s shared answer was written to the subscriber's socket as its `next`
    frame (dropped, as strawberry drops it, if the operation is already complete); False
    (nothing sent) for an event without a share name, an answer with
    errors, or a subscription whose transport does not write frames directly: the
    caller yields the event then (its answer already computed and kept)."""
    event_key = getattr(event, "shared_as", None)
    write = frame_writer.get()
    executor_ref = _subscription_executor.get()
    executor = executor_ref() if executor_ref is not None else None
    if event_key is None or write is None or executor is None:
        return False
    result = executor.shared_result(event, event_key)
    if executor.is_awaitable(result):
        result = await result
    if not isinstance(result, ExecutionResult) or result.errors:
        return False
    await write({"data": result.data})
    return True
