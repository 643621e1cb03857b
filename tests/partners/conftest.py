"""Fixtures of the partner tests: apps with tokens, a GraphQL client calling as
an app, a real HTTP receiver on 127.0.0.1 and a real Dramatiq worker."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from dramatiq import Worker

from partners import services
from partners.models import App, AppScope


@pytest.fixture
def make_app(db) -> Callable[..., tuple[App, str]]:
    def make(name: str = "Fulfilment", scopes: tuple[str, ...] = (AppScope.ORDERS_READ,)) -> tuple[App, str]:
        return services.app_create(name=name, scopes=list(scopes))

    return make


@pytest.fixture
def app_gql(gql) -> Callable[..., dict]:
    """`gql`, authenticated with `Authorization: App <token>`."""

    def call(query: str, variables: dict | None = None, *, token: str) -> dict:
        return gql(query, variables, headers={"Authorization": f"App {token}"})

    return call


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers with the scripted statuses, then 200.

    `hang` makes it hold every request that long before answering.
    """

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    hang: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if state.hang:
                time.sleep(state.hang)
            self.send_response(state.next_status())
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/fm"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(settings) -> Iterator[Callable[[], None]]:
    """A real Dramatiq worker of the webhook queue on the stub broker, with tiny
    backoffs; call the fixture's value to wait until that queue is drained.
    Other actors (emails, notifications) stay queued: on SQLite's shared
    in-memory test database their writes would collide with the request's."""
    settings.WEBHOOK_MIN_BACKOFF_MS = 10
    settings.WEBHOOK_MAX_BACKOFF_MS = 50
    broker = dramatiq.get_broker()
    broker.declare_queue("webhooks")
    running = Worker(broker, worker_threads=1, worker_timeout=20, queues={"webhooks"})
    running.start()

    def drain() -> None:
        broker.join("webhooks", timeout=20_000)
        running.join()

    yield drain
    running.stop()


@pytest.fixture
def emit(django_capture_on_commit_callbacks) -> Callable[..., list]:
    """`webhook_event_emit` as if its transaction committed (runs the on-commit enqueue)."""
    from partners.webhooks import webhook_event_emit

    def call(event: str, payload: dict | None = None) -> list:
        with django_capture_on_commit_callbacks(execute=True):
            return webhook_event_emit(event=event, payload=payload or {})

    return call
