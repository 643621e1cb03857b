"""Real fm-core processes for tests whose behaviour is about processes: a
uvicorn server, a Dramatiq worker or a management command started from this
venv, in production mode (DEBUG off), on the test session's own PostgreSQL
database and Redis.

Rows a test wants such a process to see must be committed, so tests using
these are `@pytest.mark.django_db(transaction=True)` and `@pytest.mark.postgres`.

    with running_server(FORWARDED_ALLOW_IPS="127.0.0.1") as server:
        requests.post(f"{server.url}/graphql/", json={...})

With `sqlite=<file>` a process runs on the embedded default instead (that
SQLite file, no Redis, the in-process worker) and needs no test database:

    manage("migrate", sqlite=path)
    with running_server(sqlite=path) as server: ...
"""

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.test import override_settings

from tests.conftest import access_token

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The processes' output, kept for the whole test session (a failing assertion shows it), then removed.
LOG_DIR = tempfile.mkdtemp(prefix="fmcore-processes-")
atexit.register(shutil.rmtree, LOG_DIR, ignore_errors=True)


def process_token(user) -> str:
    """An access token the real processes accept (they sign with their own SECRET_KEY)."""
    with override_settings(JWT_SECRET_KEY=process_env()["SECRET_KEY"]):
        return access_token(user)


def worker_pids(server: "RunningProcess", count: int, timeout: float = 60) -> list[int]:
    """The pids of the `count` worker processes of a `--workers` uvicorn server, once all started."""
    children = Path(f"/proc/{server.popen.pid}/task/{server.popen.pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(pid) for pid in children.read_text().split()]
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} workers after {timeout} s:\n{server.output()}")


def rss_bytes(pid: int) -> int:
    """The resident memory of a process (VmRSS, from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test session runs on (PostgreSQL only)."""
    db = connection.settings_dict
    assert connection.vendor == "postgresql", "real processes need a shared database: run on PostgreSQL"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(*, sqlite: Path | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a production-mode process sharing this session's database and Redis,
    or, with `sqlite`, on the embedded default with that SQLite file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS", "FMCORE_TESTING", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="fmcore.settings",
        DEBUG="0",
        SECRET_KEY="process-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        # The test session's keys: the processes read the secrets the tests stored.
        FIELD_ENCRYPTION_KEY=",".join(settings.FIELD_ENCRYPTION_KEYS),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONUNBUFFERED="1",
        # Processes are reached over plain HTTP, without the TLS proxy of production.
        SECURE_SSL_REDIRECT="0",
    )
    if sqlite is None:
        env.update(DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL or "redis://127.0.0.1:6379/7")
    else:
        env.update(DATABASE_URL=f"sqlite:///{sqlite}")
    env.update(overrides)
    return env


@dataclass
class RunningProcess:
    """A child process whose combined output goes to a file the test can read."""

    popen: subprocess.Popen
    log_path: Path
    url: str = ""
    extra: dict = field(default_factory=dict)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def access_lines(self) -> list[dict]:
        """The JSON access-log lines (`fmcore.access`) the process wrote so far."""
        return [line for line in json_lines(self.output()) if line.get("logger") == "fmcore.access"]

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit code; fails the test when the process outlives `timeout` seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"still running after {timeout} s; output:\n{self.output()}") from error

    def kill(self) -> None:
        """SIGKILL the process and its children (a worker's processes), as when a container dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


def json_lines(output: str) -> list[dict]:
    lines = []
    for line in output.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def start(argv: list[str], env: dict[str, str]) -> RunningProcess:
    log = tempfile.NamedTemporaryFile(dir=LOG_DIR, suffix=".log", delete=False)  # noqa: SIM115
    # A session of its own: stop() reaches the children (a worker's processes) too.
    popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return RunningProcess(popen=popen, log_path=Path(log.name))


def wait_for_output(process: RunningProcess, text: str, timeout: float = 60) -> None:
    """Poll the process's output until it shows `text`; fail if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while text not in process.output():
        if process.popen.poll() is not None:
            raise AssertionError(f"exited with {process.popen.returncode} before {text!r}:\n{process.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} after {timeout} s:\n{process.output()}")
        time.sleep(0.2)


@contextmanager
def running(argv: list[str], env: dict[str, str]) -> Iterator[RunningProcess]:
    """Any command, stopped (SIGKILL) at the end if still up."""
    process = start(argv, env)
    try:
        yield process
    finally:
        process.kill()


def wait_until_serving(process: RunningProcess, path: str = "/health/live", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"exited with {process.popen.returncode} before serving:\n{process.output()}")
        try:
            requests.get(process.url + path, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"not serving after {timeout} s:\n{process.output()}")


def manage(*args: str, sqlite: Path | None = None, timeout: float = 300, **env: str) -> str:
    """Run `manage.py <args>` to its end; its output, or the test fails with it."""
    completed = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=process_env(sqlite=sqlite, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, f"manage.py {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}"
    return completed.stdout


@contextmanager
def running_server(
    *uvicorn_args: str, app: str = "fmcore.asgi:application", sqlite: Path | None = None, **env: str
) -> Iterator[RunningProcess]:
    """uvicorn serving fm-core (or another ASGI `app`, such as the bench's bare apps) on a free
    loopback port, stopped (SIGKILL) at the end if still up."""
    port = free_port()
    argv = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    process = start([*argv, *uvicorn_args], process_env(sqlite=sqlite, **env))
    process.url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process)
        yield process
    finally:
        process.kill()


@contextmanager
def running_worker(*rundramatiq_args: str, **env: str) -> Iterator[RunningProcess]:
    """A Dramatiq worker (`manage.py rundramatiq`), stopped (SIGKILL) at the end if still up."""
    argv = [PYTHON, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2", *rundramatiq_args]
    process = start(argv, process_env(**env))
    try:
        yield process
    finally:
        process.kill()


@dataclass
class RedisServer:
    """A private redis-server on a fixed loopback port, which a test may kill and start again."""

    port: int
    popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.popen = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} not answering after {timeout} s")

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own (skips the test when redis-server is not installed)."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()
