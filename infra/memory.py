"""Giving the memory of closed websockets back to the system.

A thousand websockets closing at once free their buffers and their
permessage-deflate state (zlib's, allocated by glibc's malloc), but glibc keeps
freed memory in its heaps: the workers' RSS stayed ~23 MB above its level
before they connected and grew with each further wave. `malloc_trim(0)` hands
the free pages of every heap back. It runs `TRIM_DELAY` seconds after a close,
once for all the closes in between; elsewhere than glibc it is a no-op.

A full garbage collection comes first: after 1,000 closes, one worker still
counted ~50 MB of its heap in use (mallinfo2) until the next full collection,
and automatic ones are rare; the collection handed it back to malloc (the
collection found no cycles: what it frees is not closed connections) and the
trim then returned the heap to its size before the connections (25 MB, against
68-77 MB trimmed without the collection). It costs tens of ms of the loop
once per burst of closes.
"""

import asyncio
import ctypes
import ctypes.util
import gc

TRIM_DELAY = 1.0


def _glibc_malloc_trim() -> "ctypes._NamedFuncPointer | None":
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None


_malloc_trim = _glibc_malloc_trim()
_scheduled: asyncio.TimerHandle | None = None


def _trim() -> None:
    global _scheduled
    _scheduled = None
    if _malloc_trim is not None:
        gc.collect()
        _malloc_trim(0)


def trim_after_closes() -> None:
    """Return freed heap memory to the system shortly (one trim for a burst of closes)."""
    global _scheduled
    if _malloc_trim is None or _scheduled is not None:
        return
    _scheduled = asyncio.get_running_loop().call_later(TRIM_DELAY, _trim)
