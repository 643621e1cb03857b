"""Cached answers served as bytes in front of Django.

Two audiences share the layer, each with its own key and versions:
- anonymous catalog answers that every visitor shares (`AnonymousCatalogCache`,
  response_cache.py), keyed on the request, valid for the catalog's version;
- a customer's cart and orders answers (`CustomerAnswerCache`,
  customer_cache.py), for a request with `Authorization: JWT <token>` (or
  `Bearer`), keyed on the request and on whom the token's check found (the
  user and their account fields), valid for the versions of the scopes the
  answer depends on (the user's cart/orders, the catalog, pricing).

The extensions decide what may be cached and mark the request; the first
time such an answer is computed, this ASGI layer stores the whole HTTP
response (status, headers, body) under the request's method, URL, body, the
headers the answer depends on (Host, Accept, Origin for CORS, Content-Type,
the TLS proxy header) and the caller; the next identical request is answered
from Redis without entering Django, with its own X-Request-ID, its
access-log line and its metrics.

A customer's token is checked here exactly as Django checks it
(`access_token_check`: signature, expiry, active user, token version, login
not revoked), over a small psycopg pool of this layer's own, and only for a
request (document, variables, headers) that Django marked cacheable for some
customer before: every other logged-in request goes straight to Django,
without a second token check. A token that
fails, cookies, `X-Cart-Token` and partner app tokens go to Django, which
answers or refuses them as always. Without Redis the layer is not installed,
and without PostgreSQL it serves anonymous answers only.

Invalidation is by version tokens (commerce/cache.py): an entry records the
tokens read *before* Django computed it and is served only while each is
unchanged, so one MGET finds the entry and checks it.
"""

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson
import psycopg
import redis.asyncio
from django.conf import settings
from django.core.cache import cache
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from accounts.authentication import token_from_authorization
from accounts.tokens import access_token_check
from commerce.cache import CACHE_TTL, cart_scope, catalog_scope, orders_scope, pricing_scope, version_key
from observability import metrics
from observability.context import REQUEST_ID_HEADER, request_begin, request_end, request_id_for
from observability.middleware import http_request_record

logger = logging.getLogger(__name__)

GRAPHQL_PATH = re.compile(r"^/graphql/?$")
MAX_CACHED_BYTES = 256 * 1024  # the largest answer any answer cache keeps
MAX_BODY_BYTES = 64 * 1024
MAX_CUSTOMER_REQUESTS = 4096  # cacheable customer requests a process remembers
# Who a customer's answer is for: the token check's row, beyond its id and `is_staff`
# (staff answers are never marked; a promoted customer's key changes).
ACCOUNT_FIELDS = ("email", "first_name", "last_name", "phone", "email_verified", "date_joined")
_MARK = "fmcore.cacheable_answer"
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
# Django's handling of these is not repeated here.
_DJANGO_CREDENTIALS = frozenset({b"cookie", b"x-cart-token"})
_AUTHORIZATION = b"authorization"
# Connection options Django's PostgreSQL backend takes for itself, not libpq's.
_DJANGO_DATABASE_OPTIONS = frozenset({"pool", "isolation_level", "server_side_binding", "assume_role"})


@dataclass(frozen=True)
class AnswerMark:
    """What an extension tells the front about a cacheable answer."""

    operation_name: str | None
    scopes: tuple[str, ...]  # whose version tokens the answer is valid for
    caller: bytes | None  # `customer_account` of the user it was computed for; None: every anonymous caller


def customer_account(user: Mapping[str, Any]) -> bytes:
    """The part of a customer answer's key that says whom it is for: a user's (or a
    token check row's) id, staff flag and account fields."""
    return orjson.dumps([user["id"], user["is_staff"], *(str(user[name]) for name in ACCOUNT_FIELDS)])


def _mark(request: Any, mark: AnswerMark) -> None:
    scope = getattr(request, "scope", None)  # absent outside ASGI (Django's test client)
    if scope is not None:
        scope[_MARK] = mark


def shareable_answer_mark(request: Any, *, operation_name: str | None) -> None:
    """Tell the front layer that this request's answer may be served to every anonymous caller."""
    _mark(request, AnswerMark(operation_name, (catalog_scope(),), None))


def customer_answer_mark(request: Any, *, operation_name: str | None, scopes: tuple[str, ...], caller: bytes) -> None:
    """Tell the front layer that this request's answer may be served again to the same customer
    (`caller`) while the versions of `scopes` are unchanged."""
    _mark(request, AnswerMark(operation_name, scopes, caller))


def _answer_headers() -> tuple[bytes, ...]:
    headers = [b"host", b"accept", b"origin", b"content-type"]
    if ssl_header := getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        headers.append(ssl_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode())
    return tuple(headers)


def _connection_params(database: Mapping[str, Any]) -> dict[str, Any]:
    """psycopg's connection parameters for Django's database settings (parsed from DATABASE_URL),
    its OPTIONS included as Django passes them."""
    options = database.get("OPTIONS", {})
    params = {"dbname": database["NAME"], "user": database["USER"], "password": database["PASSWORD"]}
    params |= {"host": database["HOST"], "port": database["PORT"]}
    params = {name: value for name, value in params.items() if value}
    return params | {name: value for name, value in options.items() if name not in _DJANGO_DATABASE_OPTIONS}


class CustomerTokenCheck:
    """`access_token_check`'s statement run on an asyncio psycopg pool, opened at the first
    customer request and closed at shutdown (`close`)."""

    MAX_CONNECTIONS = 2  # docs/operations.md, "Connection budget"
    APPLICATION_NAME = "fmcore-token-check"  # how its connections show in pg_stat_activity
    WAIT_SECONDS = 1.0  # then Django answers

    def __init__(self, database: Mapping[str, Any]):
        self.connection_params = {"application_name": self.APPLICATION_NAME} | _connection_params(database)
        self._pool: AsyncConnectionPool | None = None
        self._opening = asyncio.Lock()

    async def caller(self, token: str) -> Mapping[str, Any] | None:
        """The token check's row of a valid access token, None for any other (or when the check cannot run)."""
        try:
            _, sql, params = access_token_check(token)
        except Exception:
            return None
        try:
            pool = await self._open()
            async with (
                pool.connection(timeout=self.WAIT_SECONDS) as connection,
                connection.cursor(row_factory=dict_row) as cursor,
            ):
                await cursor.execute(sql, params)
                row = await cursor.fetchone()
        except (psycopg.Error, PoolTimeout, OSError):
            logger.warning("token check unavailable", exc_info=True)
            return None
        return row if row is not None and not row["login_revoked"] else None

    async def _open(self) -> AsyncConnectionPool:
        async with self._opening:
            if self._pool is None:
                pool: AsyncConnectionPool = AsyncConnectionPool(
                    min_size=1,
                    max_size=self.MAX_CONNECTIONS,
                    kwargs=self.connection_params | {"autocommit": True},
                    configure=_utc,
                    open=False,
                )
                await pool.open()
                self._pool = pool
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _utc(connection: psycopg.AsyncConnection) -> None:
    # As Django's connections: `date_joined` reads as a UTC datetime, part of `customer_account`.
    await connection.execute("SET TIME ZONE 'UTC'")


class AnswerFront:
    """ASGI middleware in front of Django's HTTP handler (fmcore/asgi.py)."""

    def __init__(self, app: Any, redis_url: str, token_check: CustomerTokenCheck | None = None):
        self.app = app
        self.redis_url = redis_url
        self.token_check = token_check
        self.answer_headers = _answer_headers()
        self.anonymous_version_keys = _version_keys((catalog_scope(),))
        self._client: redis.asyncio.Redis | None = None
        # Digests of the customer requests Django marked cacheable (without the caller), least recent first.
        self._customer_requests: OrderedDict[str, None] = OrderedDict()

    @property
    def client(self) -> redis.asyncio.Redis:
        if self._client is None:
            self._client = redis.asyncio.Redis.from_url(self.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._client

    async def close(self) -> None:
        if self.token_check is not None:
            await self.token_check.close()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        token = self._token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        body = await _read_body(receive)
        if body is None:  # the client went away
            return
        replayed = _replay(body, receive)
        if len(body) > MAX_BODY_BYTES:
            await self.app(scope, replayed, send)
            return
        request_digest = self._digest(scope, body, None)
        user: Mapping[str, Any] | None = None
        if token:
            if request_digest not in self._customer_requests:
                # Most logged-in requests are never cached: only a request Django marked before pays for
                # the token check and the cache read here.
                await self._answer_and_learn(scope, replayed, send, request_digest)
                return
            self._customer_requests.move_to_end(request_digest)
            assert self.token_check is not None  # `_token` finds none without it
            user = await self.token_check.caller(token)
            if user is None:  # Django refuses it, or answers it as it should
                await self.app(scope, replayed, send)
                return
        caller = customer_account(user) if user is not None else None
        version_keys = self.anonymous_version_keys if user is None else _version_keys(_customer_scopes(user["id"]))
        key = cache.make_key("gql:answer:" + (request_digest if caller is None else self._digest(scope, body, caller)))
        try:
            # The client answers bytes (no decode_responses).
            *versions, entry = cast(list[bytes | None], await self.client.mget(*version_keys.values(), key))
        except (redis.RedisError, OSError):  # Redis unavailable: Django answers, from the database
            logger.warning("cache unavailable", exc_info=True)
            await self.app(scope, replayed, send)
            return
        found = zip(version_keys, versions, strict=True)
        current = {name: version.decode("latin-1") for name, version in found if version}
        if entry is not None:
            meta, content = _entry_read(entry)
            if all(current.get(name) == version for name, version in meta["versions"].items()):
                headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in meta["headers"]]
                await self._serve(scope, send, meta["status"], headers, content, meta["operation_name"], user, started)
                return
        await self._answer_and_store(scope, replayed, send, key, caller, current)

    def _token(self, scope: dict) -> str | None:
        """ "" for an anonymous request this layer may answer, the access token of a customer's,
        None for any other request (Django answers it)."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return None
        if not GRAPHQL_PATH.match(scope["path"]):
            return None
        authorizations = []
        for name, value in scope["headers"]:
            if name in _DJANGO_CREDENTIALS:
                return None
            if name == _AUTHORIZATION:
                authorizations.append(value)
        if not authorizations:
            return ""
        if self.token_check is None or len(authorizations) > 1:  # Django joins repeated headers
            return None
        return token_from_authorization(authorizations[0].decode("latin-1"))

    def _digest(self, scope: dict, body: bytes, caller: bytes | None) -> str:
        headers = dict(scope["headers"])
        parts = [scope["method"].encode(), scope.get("scheme", "http").encode(), scope["path"].encode()]
        parts += [scope.get("query_string", b""), body]
        parts += [headers.get(name, b"") for name in self.answer_headers]
        parts += [caller or b""]
        return hashlib.sha256(b"\0".join(parts)).hexdigest()

    async def _serve(
        self,
        scope: dict,
        send: Any,
        status: int,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        operation_name: str | None,
        user: Mapping[str, Any] | None,
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
            if user is not None:
                info.user_id, info.sql_queries = user["id"], 1  # the token check
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

    async def _answer_and_learn(self, scope: dict, receive: Any, send: Any, request_digest: str) -> None:
        """Django answers a customer's request; if it marked the answer cacheable, the same request
        (document, variables, headers) is tried here next time, by anyone."""
        await self.app(scope, receive, send)
        mark = scope.get(_MARK)
        if isinstance(mark, AnswerMark) and mark.caller is not None:
            self._customer_requests[request_digest] = None
            if len(self._customer_requests) > MAX_CUSTOMER_REQUESTS:
                self._customer_requests.popitem(last=False)

    async def _answer_and_store(
        self, scope: dict, receive: Any, send: Any, key: str, caller: bytes | None, versions: dict[str, str]
    ) -> None:
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        mark = scope.get(_MARK)
        if start.get("status") != 200 or not isinstance(mark, AnswerMark) or mark.caller != caller:
            return
        if not all(name in versions for name in mark.scopes):  # a version minted while Django ran
            return
        content = b"".join(chunks)
        if len(content) > MAX_CACHED_BYTES:
            return
        headers = [(name, value) for name, value in start["headers"] if name.lower() != _REQUEST_ID]
        if any(name.lower() == b"set-cookie" for name, _ in headers):
            return
        entry = _entry({name: versions[name] for name in mark.scopes}, headers, content, mark.operation_name)
        try:
            await self.client.set(key, entry, ex=CACHE_TTL)
        except (redis.RedisError, OSError):
            logger.warning("cache unavailable", exc_info=True)


def _customer_scopes(user_id: int) -> tuple[str, ...]:
    """The scopes whose versions a customer's answer may depend on, read with the entry."""
    return catalog_scope(), pricing_scope(), cart_scope(user_id), orders_scope(user_id)


def _version_keys(scopes: tuple[str, ...]) -> dict[str, str]:
    """The cache keys of the version tokens of `scopes`, by scope."""
    return {name: cache.make_key(version_key(name)) for name in scopes}


def _entry(
    versions: dict[str, str], headers: list[tuple[bytes, bytes]], content: bytes, operation_name: str | None
) -> bytes:
    """A JSON line of what the response is (orjson escapes newlines), then its body as is."""
    meta = {
        "versions": versions,
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
