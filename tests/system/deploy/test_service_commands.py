"""Each service starts as docker-compose.yml and the Dockerfile write it (its
command or the image's CMD, its environment), here with the local venv and
this session's PostgreSQL and Redis in place of the compose network's; the
worker's and the scheduler's own health checks then pass."""

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.processes import RunningProcess, free_port, running, wait_for_output, wait_until_serving
from tests.system.deploy.definitions import local_argv, local_command, local_env, service

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("real_services")]

SECRET = "compose-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
# What the operator's shell (or .env) gives compose: the secrets and the email configuration.
OPERATOR = {
    "SECRET_KEY": SECRET,
    "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}


def container_env(name: str, **overrides: str) -> dict[str, str]:
    """Only what the container would have: no DJANGO_SETTINGS_MODULE or other test leftovers."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    env.update(local_env(name, **OPERATOR), **overrides)
    return env


def assert_healthy(name: str, env: dict[str, str]) -> None:
    kind, *argv = service(name)["healthcheck"]["test"]
    assert kind == "CMD"
    check = subprocess.run(local_command(argv), env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def wait_for_file(path: Path, process: RunningProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.popen.poll() is None, process.output()
        assert time.monotonic() < deadline, f"no {path} after {timeout} s:\n{process.output()}"
        time.sleep(0.2)


def test_web_serves_graphql_with_the_image_cmd(tmp_path):
    # The image's PROMETHEUS_MULTIPROC_DIR is a tmpfs in compose; here, a directory of this test's.
    env = container_env("web", PORT=str(free_port()), WEB_CONCURRENCY="1", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    with running(local_argv("web", env), env) as web:
        web.url = f"http://127.0.0.1:{env['PORT']}"
        wait_until_serving(web, path="/graphql/", timeout=60)
        response = requests.post(f"{web.url}/graphql/", json={"query": "{ __typename }"}, timeout=10)
        assert response.json() == {"data": {"__typename": "Query"}}


def test_worker_comes_up_serves_its_metrics_and_its_health_check_passes(tmp_path):
    port = free_port()  # the composed port, 9191, may be taken on this machine
    assert container_env("worker")["WORKER_METRICS_PORT"] == "9191"
    env = container_env(
        "worker",
        LIVENESS_FILE=str(tmp_path / "alive"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WORKER_METRICS_PORT=str(port),
        METRICS_TOKEN="scrape-token",
    )
    with running(local_argv("worker", env), env) as worker:
        wait_for_output(worker, "Worker process is ready for action.", timeout=90)
        wait_for_file(tmp_path / "alive", worker)
        assert_healthy("worker", env)
        worker.url = f"http://127.0.0.1:{port}"
        wait_until_serving(worker, path="/metrics", timeout=60)
        scraped = requests.get(f"{worker.url}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=10)
        assert scraped.status_code == 200 and "fmcore_" in scraped.text, scraped.text


def test_scheduler_comes_up_and_schedules_the_periodic_actors(tmp_path):
    env = container_env("scheduler", LIVENESS_FILE=str(tmp_path / "alive"))
    with running(local_argv("scheduler", env), env) as scheduler:
        wait_for_output(scheduler, "Starting Periodiq", timeout=60)
        # scheduler_heartbeat is due every minute: its enqueue is the scheduler's sign of life.
        wait_for_output(scheduler, "Scheduling", timeout=90)
        assert "scheduler_heartbeat" in scheduler.output()
        wait_for_file(tmp_path / "alive", scheduler)
        assert_healthy("scheduler", env)
        assert scheduler.popen.poll() is None, scheduler.output()
