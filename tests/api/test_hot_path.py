"""The HTTP hot path (infra/http_handler.py): Django's whole request runs in one
call on the event loop's shared thread pool, so serving requests starts no thread
per request; SQL is counted per request, so no connection signal has a receiver."""

import threading

import pytest
from channels.testing import HttpCommunicator
from django.db.backends.signals import connection_created

from fmcore.asgi import application


@pytest.fixture
def thread_starts(monkeypatch) -> list[threading.Thread]:
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def counted_start(thread: threading.Thread) -> None:
        started.append(thread)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted_start)
    return started


async def live() -> dict:
    response = await HttpCommunicator(application, "GET", "/health/live").get_response(timeout=30)
    assert response["status"] == 200
    return response


async def test_requests_start_no_thread_each(thread_starts):
    for _ in range(3):  # the shared pool starts its threads
        await live()
    thread_starts.clear()
    for _ in range(20):
        await live()
    # Django's own handler started a thread for each request (an executor per request).
    assert len(thread_starts) <= 2, thread_starts


def test_a_pooled_connection_checkout_sends_its_signal_to_nobody():
    # Every request takes a connection from the pool, and Django sends connection_created each time.
    assert not connection_created.has_listeners()
