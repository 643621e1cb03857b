"""Local HTTP receivers standing in for external collectors (an OTLP endpoint,
a Sentry DSN host) at their HTTP boundary: they record every POST."""

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float = 60) -> list[Received]:
        """Poll until `condition(requests)` holds; fail with what arrived when it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(list(self.requests)):
                return list(self.requests)
            time.sleep(0.2)
        raise AssertionError(f"not received within {timeout} s; got {[r.path for r in self.requests]}")


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            receiver.requests.append(Received(path=self.path, body=body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    with serving(Handler) as url:
        receiver.url = url
        yield receiver
