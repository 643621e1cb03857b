"""Fixtures of the partner tests: apps with tokens, a GraphQL client calling as
an app, a real HTTP receiver on 127.0.0.1 and a real Dramatiq worker."""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
import pytest
from dramatiq import Worker

from accounts.principal import Principal
from partners import services
from partners.models import App, AppScope


@pytest.fixture
def make_app(db) -> Callable[..., tuple[App, str]]:
    def make(name: str = "Fulfilment", scopes: tuple[str, ...] = (AppScope.ORDERS_READ,)) -> tuple[App, str]:
        return services.app_create(principal=Principal.system(), name=name, scopes=list(scopes))

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
def worker(settings) -> Callable[[], None]:
    """A real Dramatiq worker on the stub broker, with tiny backoffs, on the
    webhook queue only; call the fixture's value to run it until that queue is
    drained. It starts when called, once the test's requests are done: on
    SQLite, a worker writing while a request still reads would lock a table."""
    settings.WEBHOOK_MIN_BACKOFF_MS = 10
    settings.WEBHOOK_MAX_BACKOFF_MS = 50
    broker = dramatiq.get_broker()
    broker.declare_queue("webhooks")

    def drain() -> None:
        running = Worker(broker, queues={"webhooks"}, worker_threads=1, worker_timeout=20)
        running.start()
        try:
            broker.join("webhooks", timeout=20_000)
            running.join()
        finally:
            running.stop()

    return drain


@pytest.fixture
def emit(django_capture_on_commit_callbacks) -> Callable[..., list]:
    """`webhook_event_emit` as if its transaction committed (runs the on-commit enqueue)."""
    from partners.outgoing_webhooks import webhook_event_emit

    def call(event: str, payload: dict | None = None) -> list:
        with django_capture_on_commit_callbacks(execute=True):
            return webhook_event_emit(event=event, payload=payload or {})

    return call


REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under `.partner.test` resolve to what the test says; the rest as usual."""
    answers: dict[str, str] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".partner.test"):
            asked.append(host)
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["asked"] = asked  # type: ignore[assignment]
    return answers


@pytest.fixture
def webhook_app(db) -> App:
    """An app that may receive order webhooks."""
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    return app
