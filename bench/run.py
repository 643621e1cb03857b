"""fm-core benchmark: GraphQL against a hand-written Django baseline and against
the limits of the machine, side by side in alternating rounds.

The limits: a bare ASGI app returning the cached answer bytes from Redis
(bench/bare_cached.py), a bare ASGI + psycopg + orjson app issuing the least
SQL for each read (bench/bare_sql.py), and pgbench replaying the SQL fm-core
issued for the operation (bench/pgbench.py). The servers run with the same
uvicorn settings; each target's CPU per request comes from /proc (bench/cpu.py).

`make bench` runs this. Everything stays on 127.0.0.1, and every loop is
bounded in time and count. See bench/README.md for the scenarios and the
knobs (BENCH_* environment variables).
"""

import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
# Each target's seconds are split into rounds that alternate GraphQL and baseline,
# so a neighbour's load on a shared machine hits both sides alike.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
CHECKOUT_CLIENTS = int(os.environ.get("BENCH_CHECKOUT_CLIENTS", "20"))
SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "100"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "20"))
# Connect/close waves of SUBSCRIBERS after the fan-out, to tell memory kept per connection from the allocator's.
WS_WAVES = int(os.environ.get("BENCH_WS_WAVES", "3"))
# permessage-deflate on websockets: off, as fm-core's Dockerfile serves them (README, Deploy); 1 turns
# uvicorn's default (on) back.
WS_DEFLATE = os.environ.get("BENCH_WS_DEFLATE", "0") == "1"
# After the last group member left, before RSS is read: the workers trim freed heap memory a second
# after closes (infra/memory.py).
CLOSE_SETTLE_SECONDS = 2.0
# How long a websocket may take to open, be acknowledged, or leave its groups once closed.
WS_TIMEOUT = 60
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
SERVER = os.environ.get("BENCH_SERVER", "uvicorn")
COMPARE_SERVERS = [s for s in os.environ.get("BENCH_COMPARE_SERVERS", "uvicorn,granian,daphne").split(",") if s]
LOADGEN = os.environ.get("BENCH_LOADGEN", "auto")  # auto | wrk | python
PORT = int(os.environ.get("BENCH_PORT", "8765"))  # fm-core; the bare apps on the next two ports
BARE_CACHED_PORT, BARE_SQL_PORT = PORT + 1, PORT + 2
# Which parts to run (all by default): reads, checkout, fanout, servers.
SCENARIOS = set(os.environ.get("BENCH_SCENARIOS", "reads,checkout,fanout,servers").split(","))
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", str(ROOT / "bench" / "results.json")))
# The committed run that CPU per request is checked against (read before OUTPUT is overwritten).
PREVIOUS = Path(os.environ.get("BENCH_PREVIOUS", str(OUTPUT)))
CPU_TOLERANCE = float(os.environ.get("BENCH_CPU_TOLERANCE", "0.25"))

SERVER_ENV = {
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fm_bench"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
    "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789-abcdefghij"),
    "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE="),
    "DEBUG": "0",
    "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "0"),
    "JWT_ACCESS_MINUTES": "120",
    "LOG_LEVEL": "WARNING",
    "PAYMENTS_DUMMY_ENABLED": "0",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, no TLS proxy
    # The scrape tells the fan-out when every subscription listens (fmcore_stream_subscribers), as in production.
    "METRICS_TOKEN": "bench-metrics-token",
    "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="fmcore-bench-metrics-"),
}
os.environ.update(SERVER_ENV)
# fm-core's settings with the baseline views routed (only the bench uses bench.settings).
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402

django.setup()

from bench import answers, cpu, loadgen, operations, pgbench  # noqa: E402
from bench.loadgen import Request, graphql_body  # noqa: E402

PACKAGES = (
    "Django", "strawberry-graphql", "strawberry-graphql-django", "graphql-core", "uvicorn", "granian",
    "daphne", "channels", "channels-redis", "psycopg", "psycopg-pool", "orjson", "redis",
)  # fmt: skip
FMCORE_APP = "fmcore.asgi:application"
BARE_CACHED_APP = "bench.bare_cached:app"
BARE_SQL_APP = "bench.bare_sql:app"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- fixtures: tokens and request lists ------------------------------------------------


def gid(type_name: str, pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, pk)


class Fixtures:
    def __init__(self) -> None:
        from accounts.models import User
        from accounts.tokens import token_pair_issue
        from bench.load_data import PRODUCTS, STAFF_EMAIL, USERS, customer_email, product_slug

        def tokens(numbers: range) -> list[str]:
            users = User.objects.filter(email__in=[customer_email(n) for n in numbers])
            return [token_pair_issue(user=user).token for user in users]

        self.cart_tokens = tokens(range(1, 51))
        self.order_tokens = tokens(range(101, 151))
        # The last customers check out (their orders and carts are no one else's figures).
        first_buyer = USERS - 2 * CHECKOUT_CLIENTS + 1
        self.checkout_tokens = tokens(range(first_buyer, first_buyer + CHECKOUT_CLIENTS))
        self.baseline_checkout_tokens = tokens(range(first_buyer + CHECKOUT_CLIENTS, USERS + 1))
        self.staff_token = token_pair_issue(user=User.objects.get(email=STAFF_EMAIL)).token
        self.slugs = [product_slug(n) for n in range(1, 201)]
        from commerce.models import Product

        pks = Product.objects.order_by("pk").values_list("pk", flat=True)
        self.checkout_products = [gid("Product", pk) for pk in pks[PRODUCTS // 5 : 2 * PRODUCTS // 5]]

    def reads(self, name: str, path: str) -> list[Request]:
        document = operations.READS[name][0]
        if name == "product_list":
            return [Request(path, graphql_body(document, {"first": 20}))]
        if name == "product_detail":
            return [Request(path, graphql_body(document, {"slug": slug})) for slug in self.slugs]
        if name == "product_list_user":
            return [Request(path, graphql_body(document, {"first": 20}), token) for token in self.cart_tokens]
        if name == "product_detail_user":
            return [
                Request(path, graphql_body(document, {"slug": slug}), token)
                for slug, token in zip(self.slugs, self.cart_tokens * 4, strict=True)
            ]
        if name == "cart":
            return [Request(path, graphql_body(document), token) for token in self.cart_tokens]
        if name == "orders":
            return [Request(path, graphql_body(document, {"first": 10}), token) for token in self.order_tokens]
        raise ValueError(name)


CHECKOUT_VARIABLES = {"input": {"paymentMethod": "COD"}}


# --- SQL per request (Django test client) ---------------------------------------------------


def count_queries(fixtures: Fixtures) -> tuple[dict, dict[str, list[str]]]:
    """SQL statements per request, cold (empty cache) and warm, for GraphQL and the
    baseline, whether both answered the same JSON; and the statements of each
    warm GraphQL read (what pgbench replays)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()

    def post(request: Request) -> tuple[list[str], dict]:
        headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"JWT {request.token}"} if request.token else {}
        with CaptureQueriesContext(connection) as captured:
            response = client.post(request.path, request.body, content_type="application/json", **headers)
        assert response.status_code == 200, response.content[:500]
        return [query["sql"] for query in captured.captured_queries], json.loads(response.content)

    results: dict[str, dict[str, Any]] = {}
    statements: dict[str, list[str]] = {}
    for name, (_document, baseline_path) in operations.READS.items():
        row: dict[str, Any] = {}
        answers = {}
        for target, path in (("graphql", "/graphql/"), ("baseline", baseline_path)):
            request = fixtures.reads(name, path)[0]
            cache.clear()
            cold, answers[target] = post(request)
            warm, _ = post(request)
            row[target] = {"cold": len(cold), "warm": len(warm)}
            if target == "graphql":
                statements[name] = warm
        assert "errors" not in answers["graphql"], answers["graphql"]
        row["same_json"] = answers["graphql"] == answers["baseline"]
        results[name] = row

    row = {}
    for target, path, token in (
        ("graphql", "/graphql/", fixtures.checkout_tokens[0]),
        ("baseline", operations.CHECKOUT_BASELINE_PATH, fixtures.baseline_checkout_tokens[0]),
    ):
        for product in fixtures.checkout_products[:2]:
            post(
                Request("/graphql/", graphql_body(operations.ADD_TO_CART, {"productId": product, "quantity": 1}), token)
            )
        issued, answer = post(Request(path, graphql_body(operations.CHECKOUT, CHECKOUT_VARIABLES), token))
        assert answer["data"]["checkout"]["__typename"] == "CheckoutPayload", answer
        row[target] = {"cold": len(issued), "warm": len(issued)}
    row["same_json"] = None
    results["checkout"] = row
    cache.clear()
    return results, statements


# --- servers ------------------------------------------------------------------------------------


class Server:
    """An ASGI server running `app` on 127.0.0.1:`port`, in its own process group."""

    def __init__(self, kind: str, app: str = FMCORE_APP, port: int = PORT, workers: int = WORKERS):
        self.kind = kind
        self.app = app
        self.port = port
        self.workers = workers
        self.processes: list[subprocess.Popen] = []
        self.sock: socket.socket | None = None

    def command(self) -> tuple[list[str], tuple[int, ...]]:
        python, port = sys.executable, str(self.port)
        if self.kind == "uvicorn":
            return [
                python, "-m", "uvicorn", self.app, "--host", "127.0.0.1", "--port", port,
                "--workers", str(self.workers), "--ws", "websockets-sansio", "--loop", "uvloop", "--http", "httptools",
                "--no-access-log", "--log-level", "warning",
                "--ws-per-message-deflate", "true" if WS_DEFLATE else "false",
            ], ()  # fmt: skip
        if self.kind == "granian":
            return [
                python, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", port,
                "--workers", str(self.workers), "--loop", "uvloop", "--http", "1", "--ws",
                "--no-access-log", "--log-level", "warning", self.app,
            ], ()  # fmt: skip
        if self.kind == "daphne":
            # Daphne has no worker option: several processes share one listening socket.
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", self.port))
            self.sock.listen(1024)
            self.sock.set_inheritable(True)
            fd = self.sock.fileno()
            return [python, "-m", "daphne", "--fd", str(fd), "-v", "0", self.app], (fd,)
        raise ValueError(self.kind)

    def cpu_seconds(self) -> float:
        """CPU used so far by every process of this server (bench/cpu.py)."""
        return sum(cpu.tree_cpu_seconds(process.pid) for process in self.processes)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/", timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError:
            return self.app != FMCORE_APP  # a bare app has no /health/: any answer means it serves
        except OSError:
            return False

    def start(self) -> None:
        command, fds = self.command()
        count = self.workers if self.kind == "daphne" else 1
        self.processes = [
            subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), pass_fds=fds, start_new_session=True)
            for _ in range(count)
        ]
        deadline = time.monotonic() + 60
        while not self._answers():
            if any(process.poll() is not None for process in self.processes):
                self.stop()
                raise RuntimeError(f"{self.kind} serving {self.app} exited at start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.kind} serving {self.app} did not answer within 60s")
            time.sleep(0.3)
        time.sleep(1)  # let every worker finish booting

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def merge_rounds(rounds: list[dict]) -> dict:
    """One figure from several rounds: totals for counts and CPU, medians for latencies."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    median = lambda key: round(sorted(r[key] for r in rounds)[len(rounds) // 2], 2)  # noqa: E731
    cpu_seconds = [r["cpu_seconds"] for r in rounds if r.get("cpu_seconds") is not None]
    return {
        "requests": requests,
        "errors": sum(r["errors"] for r in rounds),
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": median("p50_ms"),
        "p95_ms": median("p95_ms"),
        "p99_ms": median("p99_ms"),
        "cpu_ms_per_request": round(sum(cpu_seconds) * 1000 / requests, 2) if cpu_seconds and requests else None,
        "tool": rounds[0]["tool"],
        "rounds": len(rounds),
    }


class Target:
    """One side of a comparison: requests sent to a server, or pgbench replaying SQL."""

    def __init__(self, server: Server | None, requests: list[Request], script: Path | None = None):
        self.server, self.requests, self.script = server, requests, script

    @property
    def http_server(self) -> Server:
        """The server an HTTP target (every one but pgbench's) sends its requests to."""
        assert self.server is not None, "pgbench's target has no server"
        return self.server

    def measure(self, seconds: float) -> dict:
        if self.script is not None:
            return pgbench.run(SERVER_ENV["DATABASE_URL"], self.script, concurrency=CONCURRENCY, seconds=seconds)
        server = self.http_server
        before = server.cpu_seconds()
        stats = loadgen.run_load(server.port, self.requests, concurrency=CONCURRENCY, seconds=seconds, tool=LOADGEN)
        return {**stats.as_dict(), "cpu_seconds": server.cpu_seconds() - before}


class Limits:
    """The bare apps and the pgbench scripts, next to fm-core in the main run."""

    def __init__(self, bare_cached: Server, bare_sql: Server, scripts: dict[str, Path]):
        self.bare_cached, self.bare_sql, self.scripts = bare_cached, bare_sql, scripts


def same_data(fm: Server, limits: Limits | None, targets: dict[str, Target], sample: int = 3) -> dict[str, bool]:
    """Whether every HTTP target answers the first requests with fm-core's data.
    Before that, fm-core's answer to every request is stored for the bare cached app."""
    if limits is not None:
        import redis

        client = redis.Redis.from_url(SERVER_ENV["REDIS_URL"])
        for request in targets["graphql"].requests:
            status, answer = answers.fetch(fm.port, request)
            if status == 200:
                answers.store(client, request, answer)
    same = dict.fromkeys((t for t, target in targets.items() if target.script is None and t != "graphql"), True)
    for index in range(min(sample, len(targets["graphql"].requests))):
        status, reference = answers.fetch(fm.port, targets["graphql"].requests[index])
        others = {
            name: answers.fetch(target.http_server.port, target.requests[index])[1]
            for name, target in targets.items()
            if name in same
        }
        for name, equal in answers.same_data(reference, others).items():
            same[name] = same[name] and equal
    return same


def run_reads(fixtures: Fixtures, names: list[str], fm: Server, limits: Limits | None = None) -> dict:
    results = {}
    for name in names:
        baseline_path = operations.READS[name][1]
        targets = {
            "graphql": Target(fm, fixtures.reads(name, "/graphql/")),
            "baseline": Target(fm, fixtures.reads(name, baseline_path)),
        }
        if limits is not None:
            targets["bare_cached"] = Target(limits.bare_cached, fixtures.reads(name, "/graphql/"))
            targets["bare_sql"] = Target(limits.bare_sql, fixtures.reads(name, baseline_path))
            if name in limits.scripts:
                targets["pgbench"] = Target(None, [], limits.scripts[name])
        same = same_data(fm, limits, targets)
        for target, equal in same.items():
            if not equal:
                log(f"{name}: {target} does NOT answer the same data as fm-core")
        rounds: dict[str, list[dict]] = {target: [] for target in targets}
        for side in targets.values():
            if WARMUP:
                side.measure(WARMUP)
        for _ in range(ROUNDS):
            for target_name, side in targets.items():
                rounds[target_name].append(side.measure(SECONDS / ROUNDS))
        row = {target: merge_rounds(rows) for target, rows in rounds.items()}
        for target in targets:
            log(
                f"{name:20} {target:12} {row[target]['rps']:8.1f} req/s  p95 {row[target]['p95_ms']:.1f} ms  "
                f"CPU {row[target]['cpu_ms_per_request']} ms/request"
            )
        fm_rps = row["graphql"]["rps"]
        row["ratios"] = {
            target: round(fm_rps / row[target]["rps"], 3) if row[target]["rps"] else None
            for target in targets
            if target != "graphql"
        }
        row["ratio"] = row["ratios"]["baseline"]
        row["same_data"] = same
        results[name] = row
    return results


def write_scripts(statements: dict[str, list[str]]) -> dict[str, Path]:
    """A pgbench script per read whose warm GraphQL request issues SQL."""
    if not pgbench.available():
        log("pgbench is not installed: no database ceiling")
        return {}
    directory = Path(tempfile.mkdtemp(prefix="fmcore-bench-sql-"))
    scripts = {}
    for name, issued in statements.items():
        if issued:
            scripts[name] = directory / f"{name}.sql"
            scripts[name].write_text(pgbench.script(issued))
    return scripts


def cpu_regression(results: dict, previous: dict | None) -> dict:
    """fm-core's CPU per request against the previous committed run: a change above
    CPU_TOLERANCE is flagged in the report (not a failing test: it is a measurement)."""
    rows = {}
    for name, row in results.get("reads", {}).items():
        now = row["graphql"].get("cpu_ms_per_request")
        before = ((previous or {}).get("reads", {}).get(name) or {}).get("graphql", {}).get("cpu_ms_per_request")
        change = round(now / before - 1, 3) if now and before else None
        rows[name] = {
            "previous_ms": before,
            "now_ms": now,
            "change": change,
            "regressed": change is not None and change > CPU_TOLERANCE,
        }
    return {"previous_date": (previous or {}).get("machine", {}).get("date"), "tolerance": CPU_TOLERANCE, "rows": rows}


# --- checkout ------------------------------------------------------------------------------------


async def _checkout_loop(fixtures: Fixtures, tokens: list[str], path: str, seconds: float, limit: int) -> dict:
    stats = loadgen.Stats(tool="python")
    deadline = time.perf_counter() + seconds
    budget = [limit]
    checkout = Request(path, graphql_body(operations.CHECKOUT, CHECKOUT_VARIABLES))

    async def client(token: str) -> None:
        connection = loadgen.Connection(PORT)
        try:
            while time.perf_counter() < deadline and budget[0] > 0:
                budget[0] -= 1
                for product in random.sample(fixtures.checkout_products, 2):
                    body = graphql_body(operations.ADD_TO_CART, {"productId": product, "quantity": 1})
                    await asyncio.wait_for(connection.send(Request("/graphql/", body, token).raw(PORT)), 10)
                started = time.perf_counter()
                raw = Request(checkout.path, checkout.body, token).raw(PORT)
                status, body = await asyncio.wait_for(connection.send(raw), 10)
                stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                stats.requests += 1
                stats.errors += status != 200 or b'"CheckoutPayload"' not in body
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(token) for token in tokens))
    stats.seconds = time.perf_counter() - started
    return stats.finish().as_dict()


def run_checkout(fixtures: Fixtures) -> dict:
    results = {}
    for target, path, tokens in (
        ("graphql", "/graphql/", fixtures.checkout_tokens),
        ("baseline", operations.CHECKOUT_BASELINE_PATH, fixtures.baseline_checkout_tokens),
    ):
        results[target] = asyncio.run(_checkout_loop(fixtures, tokens, path, SECONDS, limit=5_000))
        row = results[target]
        log(f"checkout        {target:8} {row['rps']:8.1f} checkouts/s  p95 {row['p95_ms']:.1f} ms")
    # One client alone: the service time of a checkout, without queueing behind others.
    results["graphql_one_client"] = asyncio.run(
        _checkout_loop(fixtures, fixtures.checkout_tokens[:1], "/graphql/", SECONDS / 2, limit=1_000)
    )
    log(f"checkout 1 client        p95 {results['graphql_one_client']['p95_ms']:.1f} ms")
    return results


# --- fan-out ---------------------------------------------------------------------------------------


def _fanout_orders() -> list[int]:
    """EVENTS bench orders, put back to PENDING so each can move to CONFIRMED once more."""
    from bench.load_data import ORDER_NOTE, ORDERS_PER_USER, USERS
    from commerce.models import Order

    ids = list(
        Order.objects.filter(note=ORDER_NOTE)
        .order_by("pk")
        .values_list("pk", flat=True)[USERS * ORDERS_PER_USER // 2 :][:EVENTS]
    )
    Order.objects.filter(pk__in=ids).update(status="PENDING")
    return ids


def _workers_rss_bytes(server: "Server") -> int:
    """The resident memory (VmRSS) of the server's worker processes (uvicorn's master's children)."""
    total = 0
    for process in server.processes:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for pid in children or [str(process.pid)]:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            total += next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    return total


class _Groups:
    """The channel-layer groups in Redis (channels-redis keeps each in `<prefix>:group:<name>`)."""

    def __init__(self) -> None:
        import redis
        from django.conf import settings

        self.redis = redis.Redis.from_url(SERVER_ENV["REDIS_URL"])
        layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
        self.prefix: str = layer["CONFIG"]["prefix"]

    def members(self) -> int:
        return sum(self.redis.zcard(key) for key in self.redis.keys(f"{self.prefix}:group:*"))

    def member_count(self, group: str) -> int:
        return self.redis.zcard(f"{self.prefix}:group:{group}")

    async def until(self, condition, seconds: float = WS_TIMEOUT) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
        return True


def _stream_subscribers() -> float:
    """fm-core's subscriptions receiving live group messages, summed over its workers (its /metrics)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/metrics", headers={"Authorization": f"Bearer {SERVER_ENV['METRICS_TOKEN']}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        lines = response.read().decode().splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("fmcore_stream_subscribers"))


def _connect(uri: str):
    import websockets
    from websockets.typing import Subprotocol

    return websockets.connect(uri, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=WS_TIMEOUT)


async def _subscribe(socket_, staff_token: str) -> None:
    init = {"type": "connection_init", "payload": {"authorization": f"JWT {staff_token}"}}
    await socket_.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(socket_.recv(), WS_TIMEOUT))
    assert ack["type"] == "connection_ack", ack
    query = {"query": operations.ORDER_STATUS_CHANGED}
    await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": query}))


async def _wave(staff_token: str, failures: list) -> None:
    """SUBSCRIBERS websockets connect, subscribe and close, all at once."""

    async def one() -> None:
        try:
            uri = f"ws://127.0.0.1:{PORT}/graphql/"
            async with _connect(uri) as socket_:
                await _subscribe(socket_, staff_token)
                await asyncio.sleep(0.5)  # let the subscription start (and join its group) before closing
        except Exception as error:
            failures.append(repr(error))

    await asyncio.gather(*(one() for _ in range(SUBSCRIBERS)))


async def _fanout(staff_token: str, order_ids: list[int], server: "Server") -> dict:

    from commerce.orders.events import GROUP_ALL

    uri = f"ws://127.0.0.1:{PORT}/graphql/"
    wanted = {gid("Order", pk): pk for pk in order_ids}
    # Each frame is timestamped on receipt and parsed after the event phase: the load generator shares
    # the 2 cores, and parsing 1,000 frames per event ahead of the next receive delayed the later ones.
    frames: list[tuple[float, bytes]] = []
    expected: dict[bytes, int] = {}
    pending: dict[bytes, asyncio.Event] = {}
    ready = asyncio.Semaphore(0)
    sockets: list = []
    failures: list[Any] = []
    groups = _Groups()

    # A first wave warms the workers up (imports, pools, caches) before memory is measured.
    await _wave(staff_token, failures)
    await groups.until(lambda: groups.members() == 0)
    await asyncio.sleep(CLOSE_SETTLE_SECONDS)  # read after the workers' trim, as after the closes below
    rss = {"before": _workers_rss_bytes(server)}

    async def subscriber(index: int) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async with _connect(uri) as socket_:
                await _subscribe(socket_, staff_token)
                sockets.append(socket_)
                ready.release()
                with contextlib.suppress(ConnectionClosed):  # closed at the end of the event phase
                    while True:
                        raw = await socket_.recv(decode=False)
                        frames.append((time.time(), raw))
                        # Only paces the events (the next is sent once every subscriber got this one).
                        for key, event in pending.items():
                            if key in raw:
                                expected[key] -= 1
                                if not expected[key]:
                                    event.set()
        except Exception as error:  # a subscriber that could not connect counts as missing deliveries
            failures.append(repr(error))
            ready.release()

    tasks = [asyncio.create_task(subscriber(n)) for n in range(SUBSCRIBERS)]
    for _ in range(SUBSCRIBERS):
        await asyncio.wait_for(ready.acquire(), 60)
    # graphql-transport-ws does not acknowledge `subscribe`: wait until every subscription listens
    # (through its worker's one member of the group).
    await groups.until(lambda: _stream_subscribers() >= SUBSCRIBERS)
    group_members = groups.member_count(GROUP_ALL)
    await asyncio.sleep(1.0)
    rss["connected"] = _workers_rss_bytes(server)

    connection = loadgen.Connection(PORT)
    returned: dict[str, float] = {}
    mutation_ms = []
    log("fan-out: events")
    cpu_before, loadgen_cpu_before = server.cpu_seconds(), time.process_time()
    for key, _pk in wanted.items():
        key_bytes = json.dumps(key).encode()
        expected[key_bytes], pending[key_bytes] = len(sockets), asyncio.Event()
        body = graphql_body(operations.UPDATE_ORDER_STATUS, {"orderId": key, "status": "CONFIRMED"})
        started = time.time()
        try:
            status, answer = await asyncio.wait_for(
                connection.send(Request("/graphql/", body, staff_token).raw(PORT)), 10
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
            status, answer = 0, repr(error).encode()
            connection.close()
        returned[key] = time.time()
        mutation_ms.append((returned[key] - started) * 1000)
        if status != 200 or b'"OrderPayload"' not in answer:
            failures.append(answer.decode()[:300])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pending[key_bytes].wait(), 5)
        del pending[key_bytes]
        await asyncio.sleep(0.05)
    loadgen_cpu_seconds = time.process_time() - loadgen_cpu_before
    cpu_seconds = server.cpu_seconds() - cpu_before
    connection.close()
    await asyncio.gather(*(socket_.close() for socket_ in sockets))
    await asyncio.gather(*tasks)
    deliveries: dict[str, list[tuple[float, float]]] = {key: [] for key in wanted}
    for received, raw in frames:
        message = json.loads(raw)
        if message.get("type") != "next":
            failures.append(message)
            continue
        event = message["payload"]["data"]["orderStatusChanged"]
        if event["order"]["id"] in deliveries and event["toStatus"] == "CONFIRMED":
            deliveries[event["order"]["id"]].append((received, datetime.fromisoformat(event["changedAt"]).timestamp()))
    await groups.until(lambda: groups.members() == 0)
    await asyncio.sleep(CLOSE_SETTLE_SECONDS)
    rss["closed"] = _workers_rss_bytes(server)
    stale_after_close = groups.members()

    # Further waves: memory a closed connection keeps grows with every wave; memory the allocator keeps does not.
    wave_rss = []
    for _ in range(WS_WAVES):
        await _wave(staff_token, failures)
        await groups.until(lambda: groups.members() == 0)
        await asyncio.sleep(CLOSE_SETTLE_SECONDS)
        wave_rss.append(_workers_rss_bytes(server))

    from_commit = sorted((received - changed) * 1000 for rows in deliveries.values() for received, changed in rows)
    from_return = sorted((received - returned[key]) * 1000 for key, rows in deliveries.items() for received, _ in rows)
    last = sorted(
        max((received - changed) * 1000 for received, changed in rows) for rows in deliveries.values() if rows
    )
    pct = loadgen.percentile
    kib = 1024
    return {
        "subscribers": SUBSCRIBERS,
        "events": len(wanted),
        "deliveries": len(from_commit),
        "expected": SUBSCRIBERS * len(wanted),
        "p50_ms": round(pct(from_commit, 50), 1),
        "p95_ms": round(pct(from_commit, 95), 1),
        "p99_ms": round(pct(from_commit, 99), 1),
        "max_ms": round(from_commit[-1], 1) if from_commit else None,
        "last_subscriber_p95_ms": round(pct(last, 95), 1),
        "after_response_p95_ms": round(pct(from_return, 95), 1),
        "mutation_p50_ms": round(pct(sorted(mutation_ms), 50), 1),
        "server_cpu_ms_per_delivery": round(cpu_seconds * 1000 / len(from_commit), 3) if from_commit else None,
        "loadgen_cpu_ms_per_event": round(loadgen_cpu_seconds * 1000 / len(wanted), 1),
        "workers": WORKERS,
        "ws_per_message_deflate": WS_DEFLATE,
        "memory": {
            "idle_kb_per_subscriber": round((rss["connected"] - rss["before"]) / SUBSCRIBERS / kib, 1),
            "kept_after_close_kb": round((rss["closed"] - rss["before"]) / kib),
            "waves": WS_WAVES,
            "growth_per_wave_kb": round((wave_rss[-1] - rss["closed"]) / WS_WAVES / kib) if wave_rss else None,
            "rss_mb": {
                "before": round(rss["before"] / kib / kib, 1),
                "connected": round(rss["connected"] / kib / kib, 1),
                "closed": round(rss["closed"] / kib / kib, 1),
                "after_waves": [round(value / kib / kib, 1) for value in wave_rss],
            },
        },
        "group_members_while_subscribed": group_members,
        "stale_group_members_after_close": stale_after_close,
        "stale_group_members_after_waves": groups.members(),
        "failures": failures[:5],
        "failure_count": len(failures),
    }


def run_fanout(fixtures: Fixtures, server: "Server") -> dict:
    result = asyncio.run(_fanout(fixtures.staff_token, _fanout_orders(), server))
    memory = result["memory"]
    log(
        f"fan-out {result['subscribers']} subscribers x {result['events']} events: "
        f"{result['deliveries']}/{result['expected']} delivered, p95 {result['p95_ms']} ms, "
        f"{result['server_cpu_ms_per_delivery']} ms server CPU per delivery, "
        f"{result['loadgen_cpu_ms_per_event']} ms loadgen CPU per event; "
        f"{memory['idle_kb_per_subscriber']} KB per idle subscriber, {memory['kept_after_close_kb']} KB kept "
        f"after close, {memory['growth_per_wave_kb']} KB growth per wave; "
        f"{result['stale_group_members_after_waves']} stale group members, {result['failure_count']} failures"
    )
    return result


# --- machine -----------------------------------------------------------------------------------------


def machine() -> dict:
    from importlib.metadata import version

    from django.db import connection

    def package(name: str) -> str:
        try:
            return version(name)
        except Exception:
            return "-"

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_version = "-"
    try:
        import redis

        redis_version = redis.Redis.from_url(SERVER_ENV["REDIS_URL"]).info()["redis_version"]
    except Exception:
        pass
    wrk = "-"
    if loadgen.wrk_available():
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory = next((line.split()[1] for line in meminfo if line.startswith("MemTotal")), "0")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": redis_version,
        "wrk": wrk,
        "packages": {name: package(name) for name in PACKAGES},
    }


def main() -> None:
    from django.core.cache import cache

    from bench import load_data, report

    started = time.monotonic()
    previous = json.loads(PREVIOUS.read_text()) if PREVIOUS.exists() else None
    log("loading the data set")
    load_data.main()
    cache.clear()
    fixtures = Fixtures()
    log("counting SQL per request")
    queries, statements = count_queries(fixtures)
    results: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "seconds": SECONDS,
            "warmup": WARMUP,
            "rounds": ROUNDS,
            "db_pool": os.environ.get("DB_POOL", "on (default)"),
            "concurrency": CONCURRENCY,
            "checkout_clients": CHECKOUT_CLIENTS,
            "workers": WORKERS,
            "server": SERVER,
            "conn_max_age": SERVER_ENV["CONN_MAX_AGE"],
            "loadgen": "wrk" if LOADGEN == "wrk" or (LOADGEN == "auto" and loadgen.wrk_available()) else "python",
            "products": load_data.PRODUCTS,
            "users": load_data.USERS,
        },
        "queries": queries,
    }
    log(f"main run on {SERVER} ({WORKERS} workers), bare apps on uvicorn with the same settings")
    with (
        Server(SERVER) as fm,
        Server("uvicorn", BARE_CACHED_APP, BARE_CACHED_PORT) as bare_cached,
        Server("uvicorn", BARE_SQL_APP, BARE_SQL_PORT) as bare_sql,
    ):
        if "reads" in SCENARIOS:
            limits = Limits(bare_cached, bare_sql, write_scripts(statements))
            results["reads"] = run_reads(fixtures, list(operations.READS), fm, limits)
        if "checkout" in SCENARIOS:
            results["checkout"] = run_checkout(fixtures)
        if "fanout" in SCENARIOS:
            results["fanout"] = run_fanout(fixtures, fm)
    results["servers"] = {}
    for kind in COMPARE_SERVERS if "servers" in SCENARIOS else []:
        log(f"server comparison: {kind}")
        try:
            with Server(kind) as server:
                results["servers"][kind] = run_reads(fixtures, ["product_list", "orders"], server)
        except RuntimeError as error:
            log(f"{kind}: {error}")
            results["servers"][kind] = {"error": str(error)}
    cache.clear()
    results["cpu_regression"] = cpu_regression(results, previous)
    # A run of some parts only keeps the previous run's figures of the others, marked as such.
    results["carried_over"] = {}
    for part in ("reads", "checkout", "fanout"):
        if part not in SCENARIOS and previous and part in previous:
            results[part] = previous[part]
            earlier = (previous.get("carried_over") or {}).get(part)
            results["carried_over"][part] = earlier or previous["machine"]["date"]
    if "reads" in results["carried_over"] and previous:
        results["cpu_regression"] = previous.get("cpu_regression") or results["cpu_regression"]
    for name, row in results["cpu_regression"]["rows"].items():
        if row["regressed"]:
            log(f"CPU regression: {name} {row['previous_ms']} -> {row['now_ms']} ms per request")
    results["elapsed_seconds"] = round(time.monotonic() - started)
    OUTPUT.write_text(json.dumps(results, indent=2) + "\n")
    if {"reads", "checkout", "fanout"} <= results.keys():
        report.write(OUTPUT)
    log(f"done in {results['elapsed_seconds']}s: {OUTPUT.with_suffix('.md')}")


if __name__ == "__main__":
    main()
