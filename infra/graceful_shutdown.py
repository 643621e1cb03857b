"""A web replica going away cleanly: on SIGTERM (or SIGINT) it first closes this
process's open GraphQL websockets with 1001 (going away), so clients reconnect
to another replica, then lets uvicorn stop: no new connections, in-flight HTTP
requests finish within `--timeout-graceful-shutdown` (SHUTDOWN_TIMEOUT).

This cannot wait for the ASGI lifespan shutdown event: uvicorn sends it only
after every connection is gone, having closed websockets itself with 1012. So
the lifespan *startup* puts a handler in front of uvicorn's signal handler.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from types import FrameType
from typing import Any, Protocol

logger = logging.getLogger(__name__)

GOING_AWAY = 1001
# Closing handshakes run concurrently; a client that never answers is not waited for longer.
CLOSE_TIMEOUT_SECONDS = 3.0


class ClosableWebsocket(Protocol):
    async def close_going_away(self) -> None: ...


_open_websockets: set[ClosableWebsocket] = set()


def websocket_opened(websocket: ClosableWebsocket) -> None:
    _open_websockets.add(websocket)


def websocket_closed(websocket: ClosableWebsocket) -> None:
    _open_websockets.discard(websocket)


async def websockets_close() -> None:
    """Close every websocket this process holds with 1001."""
    closing = [websocket.close_going_away() for websocket in list(_open_websockets)]
    if closing:
        logger.info("Closing %d websocket(s): going away", len(closing))
    try:
        await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), CLOSE_TIMEOUT_SECONDS)
    except TimeoutError:
        logger.warning("Some websockets did not close within %s s", CLOSE_TIMEOUT_SECONDS)


SignalHandler = Callable[[int, FrameType | None], Any]
_shutdown_tasks: set[asyncio.Task] = set()


def _close_websockets_first(loop: asyncio.AbstractEventLoop, server_handler: SignalHandler) -> SignalHandler:
    signalled = False

    async def close_then_stop(signum: int, frame: FrameType | None) -> None:
        try:
            await websockets_close()
        finally:
            server_handler(signum, frame)

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal signalled
        if signalled:  # a second signal keeps the server's own meaning (force quit)
            server_handler(signum, frame)
            return
        signalled = True
        loop.call_soon_threadsafe(start, signum, frame)

    def start(signum: int, frame: FrameType | None) -> None:
        task = loop.create_task(close_then_stop(signum, frame))
        _shutdown_tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(_shutdown_tasks.discard)

    return handler


def _install_signal_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        server_handler = signal.getsignal(signum)
        if callable(server_handler):
            signal.signal(signum, _close_websockets_first(loop, server_handler))


class GracefulShutdown:
    """ASGI middleware answering the lifespan protocol (Django and Channels do not)."""

    def __init__(self, app: Callable, *, on_shutdown: Sequence[Callable[[], Awaitable[None]]] = ()) -> None:
        self.app = app
        self.on_shutdown = on_shutdown  # run after the websockets closed (resources the app opened)

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _install_signal_handlers()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await websockets_close()
                for close in self.on_shutdown:
                    await close()
                await send({"type": "lifespan.shutdown.complete"})
                return
