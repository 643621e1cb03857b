"""docker-compose.yml keeps the invariants production relies on (no Docker engine
runs here, so they are read from the file; test_service_commands runs the commands)."""

import re
import shutil
import subprocess

import dramatiq
import pytest
import yaml
from django.utils.module_loading import autodiscover_modules

from schema.front_cache import CustomerTokenCheck
from tests.system.deploy.definitions import CADDYFILE, PROMETHEUS_CONFIG, compose, image_cmd, image_env, interpolate

LONG_RUNNING = ("proxy", "web", "worker", "scheduler", "postgres", "redis")
# PostgreSQL keeps superuser_reserved_connections (3) of max_connections for admins.
RESERVED_CONNECTIONS = 3


def seconds(duration: str) -> float:
    """A compose duration such as `1m30s` or `20s`."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


def option(command: str, name: str) -> int:
    return int(re.search(rf"{name}[ =](\d+)", command)[1])


def env_of(name: str) -> dict[str, str]:
    env = {**image_env(), **compose()["services"][name].get("environment", {})}
    required = {"SECRET_KEY": "x", "FIELD_ENCRYPTION_KEY": "x"}
    return {key: interpolate(str(value), required) for key, value in env.items()}


def test_only_the_proxy_publishes_a_port_so_web_scales():
    services = compose()["services"]
    assert [name for name, spec in services.items() if spec.get("ports")] == ["proxy"]
    assert "container_name" not in services["web"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_long_running_services_restart_and_migrate_runs_once_before_them():
    services = compose()["services"]
    for name in LONG_RUNNING:
        assert services[name].get("restart") in {"always", "unless-stopped"}, name
    assert "migrate" in services["migrate"]["command"] and services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_exactly_one_scheduler_with_its_settings():
    services = compose()["services"]
    schedulers = [name for name, spec in services.items() if "periodiq" in str(spec.get("command", ""))]
    assert schedulers == ["scheduler"]
    assert services["scheduler"].get("deploy", {}).get("replicas", 1) == 1
    assert env_of("scheduler")["DJANGO_SETTINGS_MODULE"] == "fmcore.settings"


def test_worker_and_scheduler_have_health_checks_of_their_own():
    services = compose()["services"]
    web_check = services["web"]["healthcheck"]["test"]
    assert "/health/live" in " ".join(web_check)
    for name in ("worker", "scheduler"):
        check = services[name]["healthcheck"]["test"]
        assert check != web_check and "infra.liveness" in check, name


def test_postgres_and_redis_keep_their_data_in_volumes():
    spec = compose()
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        (volume,) = [v for v in spec["services"][name]["volumes"] if v.endswith(f":{path}")]
        assert volume.split(":")[0] in spec["volumes"], name


def test_worker_stop_grace_outlasts_every_actor_time_limit():
    autodiscover_modules("tasks")
    worker = compose()["services"]["worker"]
    default_limit = int(env_of("worker")["DRAMATIQ_TIME_LIMIT_MS"])
    limits = [actor.options.get("time_limit", default_limit) for actor in dramatiq.get_broker().actors.values()]
    shutdown_timeout = option(worker["command"], "--worker-shutdown-timeout")
    assert max(limits) <= shutdown_timeout < seconds(worker["stop_grace_period"]) * 1000


def test_web_stop_grace_outlasts_its_shutdown_timeout():
    web = compose()["services"]["web"]
    assert int(env_of("web")["SHUTDOWN_TIMEOUT"]) < seconds(web["stop_grace_period"])
    assert "${SHUTDOWN_TIMEOUT}" in " ".join(image_cmd()) and "--timeout-graceful-shutdown" in " ".join(image_cmd())


def test_web_trusts_forwarded_headers_from_the_proxy_only():
    spec = compose()
    proxy_address = spec["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert env_of("web")["FORWARDED_ALLOW_IPS"] == proxy_address
    assert "--proxy-headers" in " ".join(image_cmd())


def test_connections_fit_postgres_with_three_web_replicas():
    spec = compose()
    max_connections = option(" ".join(spec["services"]["postgres"]["command"]), "max_connections")
    web, worker, scheduler = env_of("web"), env_of("worker"), env_of("scheduler")
    worker_command = spec["services"]["worker"]["command"]
    threads = option(worker_command, "--threads")
    assert int(worker["DB_POOL_MAX_SIZE"]) >= threads  # else threads queue for a connection
    budget = (
        # Each web process also has the front cache's token-check connections.
        3 * int(web["WEB_CONCURRENCY"]) * (int(web["DB_POOL_MAX_SIZE"]) + CustomerTokenCheck.MAX_CONNECTIONS)
        + option(worker_command, "--processes") * int(worker["DB_POOL_MAX_SIZE"])
        + int(scheduler["DB_POOL_MAX_SIZE"])
        + 1  # migrate, or an operator's psql
    )
    assert budget <= max_connections - RESERVED_CONNECTIONS, budget


def test_web_and_worker_metrics_are_served_on_the_compose_network_and_scraped():
    services = compose()["services"]
    metrics_dir = image_env()["PROMETHEUS_MULTIPROC_DIR"]
    worker_port = env_of("worker")["WORKER_METRICS_PORT"]
    for name in ("web", "worker"):
        # Every start begins with an empty multiprocess directory.
        assert any(mount.split(":")[0] == metrics_dir for mount in services[name]["tmpfs"]), name
    assert worker_port in services["worker"]["expose"] and not services["worker"].get("ports")
    targets = {
        job["job_name"]: (
            job["metrics_path"],
            {(name, sd["port"]) for sd in job["dns_sd_configs"] for name in sd["names"]},
            "credentials_file" in job["authorization"],
        )
        for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    }
    assert targets == {
        "fm-core-web": ("/metrics", {("web", 8000)}, True),
        "fm-core-worker": ("/metrics", {("worker", int(worker_port))}, True),
    }
    assert "8000" in services["web"]["expose"]


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed (apt-get install caddy)")
def test_proxy_config_is_valid():
    result = subprocess.run(
        ["caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
