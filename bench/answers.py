"""The same data from every target: fetch an operation's answer from fm-core,
the Django baseline and the bare apps, compare them, and store fm-core's bytes
for the bare cached app (bench/bare_cached.py)."""

import urllib.error
import urllib.request

import orjson
import redis

from bench.bare_cached import answer_key
from bench.loadgen import HOST, Request


def fetch(port: int, request: Request) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if request.token:
        headers["Authorization"] = f"JWT {request.token}"
    call = urllib.request.Request(f"http://{HOST}:{port}{request.path}", data=request.body, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def authorization(request: Request) -> bytes:
    return f"JWT {request.token}".encode() if request.token else b""


def store(client: redis.Redis, request: Request, answer: bytes) -> None:
    """Make the bare cached app answer `request` with `answer`."""
    client.set(answer_key(authorization(request), request.body), answer, ex=24 * 3600)


def same_data(reference: bytes, others: dict[str, bytes]) -> dict[str, bool]:
    """Whether each other answer carries the same JSON data as the reference
    (fm-core's), which must itself be an answer without errors."""
    expected = orjson.loads(reference)
    if "errors" in expected or expected.get("data") is None:
        raise ValueError(f"fm-core answered an error: {reference[:300]!r}")
    same = {}
    for target, answer in others.items():
        try:
            same[target] = orjson.loads(answer) == expected
        except orjson.JSONDecodeError:
            same[target] = False
    return same
