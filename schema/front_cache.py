"""Anonymous catalog answers served as bytes in front of Django.

`AnonymousCatalogCache` (response_cache.py) decides which answers every
anonymous visitor shares. The first time such an answer is computed, this
ASGI layer stores the whole HTTP response (status, headers, body) under the
request's method, URL, body and the headers the answer depends on (Host,
Accept, Origin for CORS, Content-Type, the TLS proxy header); the next
identical request is answered from Redis without entering Django, with its
own X-Request-ID, its access-log line and its metrics.

Invalidation is the catalog's version token (commerce/cache.py): an entry
records the token read *before* Django computed it and is served only while
the token is unchanged, so one MGET both finds the entry and checks it.
Requests with credentials (Authorization, Cookie, X-Cart-Token) always go to
Django. Without Redis (the embedded default) the layer is not installed.
"""

import hashlib
import logging
import re
import time
from typing import Any, cast

import orjson
import redis.asyncio
from django.conf import settings
from django.core.cache import cache

from commerce.cache import CACHE_TTL, catalog_scope, version_key
from observability import metrics
from observability.context import REQUEST_ID_HEADER, request_begin, request_end, request_id_for
from observability.middleware import http_request_record

logger = logging.getLogger(__name__)

GRAPHQL_PATH = re.compile(r"^/graphql/?$")
CREDENTIAL_HEADERS = frozenset({b"authorization", b"cookie", b"x-cart-token"})
MAX_CACHED_BYTES = 256 * 1024  # the largest answer any answer cache keeps
MAX_BODY_BYTES = 64 * 1024
_SHAREABLE = "fmcore.shareable_answer"
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()


def shareable_answer_mark(request: Any, *, operation_name: str | None) -> None:
    """Tell the front layer that this request's answer may be served to every anonymous caller."""
    scope = getattr(request, "scope", None)  # absent outside ASGI (Django's test client)
    if scope is not None:
        scope[_SHAREABLE] = operation_name


def _answer_headers() -> tuple[bytes, ...]:
    headers = [b"host", b"accept", b"origin", b"content-type"]
    if ssl_header := getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        headers.append(ssl_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode())
    return tuple(headers)


class AnonymousAnswerFront:
    """ASGI middleware in front of Django's HTTP handler (fmcore/asgi.py)."""

    def __init__(self, app: Any, redis_url: str):
        self.app = app
        self.redis_url = redis_url
        self.answer_headers = _answer_headers()
        self.version_key = cache.make_key(version_key(catalog_scope()))
        self._client: redis.asyncio.Redis | None = None

    @property
    def client(self) -> redis.asyncio.Redis:
        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._client

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not self._may_share(scope):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        if len(body) > MAX_BODY_BYTES:
            await self.app(scope, _replay(body, receive), send)
            return
        key = cache.make_key("gql:front:" + self._digest(scope, body))
        try:
            # The client answers bytes (no decode_responses).
            version, entry = cast(list[bytes | None], await self.client.mget(self.version_key, key))
        except (redis.RedisError, OSError):  # Redis unavailable: Django answers, from the database
            logger.warning("cache unavailable", exc_info=True)
            await self.app(scope, _replay(body, receive), send)
            return
        if entry is not None and version is not None:
            meta, content = _entry_read(entry)
            if meta["version"] == version.decode("latin-1"):
                headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in meta["headers"]]
                await self._serve(scope, send, meta["status"], headers, content, meta["operation_name"], started)
                return
        await self._answer_and_store(scope, _replay(body, receive), send, key, version)

    def _may_share(self, scope: dict) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return False
        if not GRAPHQL_PATH.match(scope["path"]):
            return False
        return not any(name in CREDENTIAL_HEADERS for name, _ in scope["headers"])

    def _digest(self, scope: dict, body: bytes) -> str:
        headers = dict(scope["headers"])
        parts = [scope["method"].encode(), scope.get("scheme", "http").encode(), scope["path"].encode()]
        parts += [scope.get("query_string", b""), body]
        parts += [headers.get(name, b"") for name in self.answer_headers]
        return hashlib.sha256(b"\0".join(parts)).hexdigest()

    async def _serve(
        self,
        scope: dict,
        send: Any,
        status: int,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        operation_name: str | None,
        started: float,
    ) -> None:
        request_id = request_id_for(dict(scope["headers"]).get(_REQUEST_ID, b"").decode("latin-1"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"X-Request-ID", request_id.encode())],
            }
        )
        await send({"type": "http.response.body", "body": content})
        info = request_begin(request_id)
        try:
            info.operation_name, info.operation_type = operation_name, "query"
            metrics.answer_cache.labels("hit").inc()
            name = metrics.operation_label(operation_name)
            metrics.graphql_operations.labels(name, "query", "success").inc()
            metrics.graphql_duration.labels(name, "query").observe(time.monotonic() - started)
            client = scope.get("client")
            http_request_record(
                method=scope["method"],
                path=scope["path"],
                status=status,
                client_ip=client[0] if client else None,
                duration=time.monotonic() - started,
                info=info,
            )
        finally:
            request_end()

    async def _answer_and_store(self, scope: dict, receive: Any, send: Any, key: str, version: bytes | None) -> None:
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if version is None or start.get("status") != 200 or _SHAREABLE not in scope:
            return
        content = b"".join(chunks)
        if len(content) > MAX_CACHED_BYTES:
            return
        headers = [(name, value) for name, value in start["headers"] if name.lower() != _REQUEST_ID]
        if any(name.lower() == b"set-cookie" for name, _ in headers):
            return
        entry = _entry(version, headers, content, scope[_SHAREABLE])
        try:
            await self.client.set(key, entry, ex=CACHE_TTL)
        except (redis.RedisError, OSError):
            logger.warning("cache unavailable", exc_info=True)


def _entry(version: bytes, headers: list[tuple[bytes, bytes]], content: bytes, operation_name: str | None) -> bytes:
    """A JSON line of what the response is (orjson escapes newlines), then its body as is."""
    meta = {
        "version": version.decode("latin-1"),
        "status": 200,
        "headers": [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers],
        "operation_name": operation_name,
    }
    return orjson.dumps(meta) + b"\n" + content


def _entry_read(entry: bytes) -> tuple[dict, bytes]:
    meta, _, content = entry.partition(b"\n")
    return orjson.loads(meta), content


async def _read_body(receive: Any) -> bytes | None:
    """The whole request body, or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that gives Django the body already read, then the client's own messages."""
    sent = False

    async def replayed() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
