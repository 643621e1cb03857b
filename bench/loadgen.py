"""Load generators: wrk (with bench/wrk.lua) when installed, else a small
asyncio HTTP/1.1 keep-alive client. Both run a closed loop at a fixed
concurrency, bounded by time and by a request count, against loopback only.

A request counts as an error when the status is not 200 or the body carries
top-level GraphQL `errors`.
"""

import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")


@dataclass
class Stats:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    tool: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def finish(self) -> "Stats":
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            self.p50, self.p95, self.p99 = (percentile(ordered, q) for q in (50, 95, 99))
        return self

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50, 2),
            "p95_ms": round(self.p95, 2),
            "p99_ms": round(self.p99, 2),
            "tool": self.tool,
        }


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    token: str | None = None

    def raw(self, port: int) -> bytes:
        auth = f"Authorization: JWT {self.token}\r\n" if self.token else ""
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.body)}\r\n{auth}\r\n"
        )
        return head.encode() + self.body


def graphql_body(query: str, variables: dict | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


# --- wrk ------------------------------------------------------------------------------


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, requests: list[Request], *, concurrency: int, seconds: float) -> Stats:
    """One wrk run; the Lua script picks a random request of the list for each call."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as listing:
        for request in requests:
            listing.write(f"{request.path}\t{request.token or ''}\t{request.body.decode()}\n")
    env = {**os.environ, "BENCH_REQUESTS": listing.name}
    command = [
        "wrk",
        "-t1",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        f"http://{HOST}:{port}",
    ]
    try:
        output = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=True)
    finally:
        os.unlink(listing.name)
    line = next(line for line in output.stdout.splitlines() if line.startswith("{"))
    data = json.loads(line)
    return Stats(
        requests=data["requests"],
        errors=data["errors"],
        seconds=data["duration_us"] / 1e6,
        p50=data["p50_us"] / 1000,
        p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000,
        tool="wrk",
    )


# --- asyncio client -----------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length or chunked replies)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        if not reused:
            await self._open()
        reader, writer = self.reader, self.writer
        assert reader is not None and writer is not None
        writer.write(raw)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            # The server closed an idle keep-alive connection: once more on a new one.
            self.close()
            return await self.send(raw)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def is_error(status: int, body: bytes) -> bool:
    return status != 200 or b'"errors"' in body


async def _closed_loop(port: int, requests: list[Request], concurrency: int, seconds: float, limit: int) -> Stats:
    raws = [request.raw(port) for request in requests]
    stats = Stats(tool="python")
    deadline = time.perf_counter() + seconds
    budget = [limit]

    async def worker() -> None:
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                started = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(connection.send(random.choice(raws)), timeout=10)
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    connection.close()
                    stats.errors += 1
                    continue
                stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                stats.requests += 1
                stats.errors += is_error(status, body)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    stats.seconds = time.perf_counter() - started
    return stats.finish()


def run_python(
    port: int, requests: list[Request], *, concurrency: int, seconds: float, limit: int = 1_000_000
) -> Stats:
    return asyncio.run(_closed_loop(port, requests, concurrency, seconds, limit))


def run_load(port: int, requests: list[Request], *, concurrency: int, seconds: float, tool: str = "auto") -> Stats:
    """wrk when available (or asked for), else the asyncio client."""
    if tool == "wrk" or (tool == "auto" and wrk_available()):
        return run_wrk(port, requests, concurrency=concurrency, seconds=seconds)
    return run_python(port, requests, concurrency=concurrency, seconds=seconds)
