"""A local HTTP endpoint standing in for an external service (a payment
provider, a partner's webhook receiver) that answers only when the test says
so: a request to it stays in flight for as long as the test needs."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.receivers import serving


class HeldEndpoint:
    def __init__(self, body: dict):
        self.body = json.dumps(body).encode()
        self.released = threading.Event()
        self.received = threading.Semaphore(0)
        self.paths: list[str] = []
        self.url = ""

    def wait_for_request(self, timeout: float = 60) -> str:
        """The path of the next request to arrive, failing the test if none comes in time."""
        assert self.received.acquire(timeout=timeout), f"no request arrived within {timeout} s"
        return self.paths[-1]

    def release(self) -> None:
        """Answer every held request, and every later one at once."""
        self.released.set()


@contextmanager
def held_endpoint(body: dict) -> Iterator[HeldEndpoint]:
    endpoint = HeldEndpoint(body)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            endpoint.paths.append(self.path)
            endpoint.received.release()
            endpoint.released.wait(timeout=120)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(endpoint.body)))
            self.end_headers()
            self.wfile.write(endpoint.body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    with serving(Handler) as url:
        endpoint.url = url
        try:
            yield endpoint
        finally:
            endpoint.release()
