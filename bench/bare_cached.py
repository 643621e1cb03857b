"""The limit of cached reads: a bare ASGI app answering each request with bytes
it reads from Redis, one GET per request and nothing else.

The bench stores fm-core's own answer for every request it will send
(`answer_key` of the request's credentials and body), so this app returns
exactly the bytes fm-core returns. Served by the same uvicorn settings as
fm-core (bench/run.py); REDIS_URL names the Redis.

    python -m uvicorn bench.bare_cached:app
"""

import hashlib
import os

import redis.asyncio

_client: redis.asyncio.Redis | None = None


def answer_key(authorization: bytes, body: bytes) -> str:
    return "bench:answer:" + hashlib.sha256(authorization + b"\n" + body).hexdigest()


async def request_body(receive) -> bytes:
    """The whole body of an ASGI HTTP request."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope, receive, send) -> None:
    global _client
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if _client is None:
        _client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    authorization = dict(scope["headers"]).get(b"authorization", b"")
    answer = await _client.get(answer_key(authorization, await request_body(receive)))
    status = 200 if answer is not None else 404
    body = answer if answer is not None else b'{"errors":[{"message":"no stored answer"}]}'
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
