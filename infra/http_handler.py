"""Django over ASGI with one thread hand-off per request.

Django's `ASGIHandler` runs a sync middleware stack and view through asgiref
in a `ThreadSensitiveContext`: a new single-thread executor per request, and
three hand-offs (the `request_started` signal, the view, `response.close()`
with `request_finished`). Profiled, those hand-offs were most of a cached
answer's CPU. Every fm-core middleware and view is synchronous, so this
handler runs the whole request (signals, middleware, view, close) in one
call on the event loop's shared thread pool and only sends the bytes from
the loop. Thread-local state (database connections) stays within that one
call; the pool's threads keep their connection wrappers between requests.
"""

from typing import Any, cast

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import set_script_prefix


class OneHandoffASGIHandler(ASGIHandler):
    """Django's ASGI handler, running each request in one call on a shared thread pool."""

    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        response, body = await sync_to_async(self._respond, thread_sensitive=False)(scope, body_file)
        await send({"type": "http.response.start", "status": response.status_code, "headers": _headers(response)})
        for chunk, last in self.chunk_bytes(body):
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})

    def _respond(self, scope: dict, body_file: Any) -> tuple[HttpResponseBase, bytes]:
        """The response and its whole body (a streamed one read here, in the thread), the request finished."""
        try:
            set_script_prefix(get_script_prefix(scope))
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, error_response = self.create_request(scope, body_file)
            response = error_response if request is None else self.get_response(request)
            assert response is not None  # create_request returns a request or an error response
            body = (
                b"".join(response)
                if isinstance(response, StreamingHttpResponse)
                else cast(HttpResponse, response).content
            )
            response.close()  # sends request_finished: the database connection goes back to the pool
            return response, body
        finally:
            body_file.close()


def _headers(response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
    """As Django's ASGIHandler.send_response encodes them, cookies included."""
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    headers += [(b"Set-Cookie", c.output(header="").encode("ascii").strip()) for c in response.cookies.values()]
    return headers


def get_asgi_application() -> OneHandoffASGIHandler:
    django.setup(set_prefix=False)
    return OneHandoffASGIHandler()
