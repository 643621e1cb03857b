"""Prometheus metrics (prometheus_client) and the `/metrics` endpoint.

With `PROMETHEUS_MULTIPROC_DIR` set (it must be, with several uvicorn workers
or Dramatiq processes), every process writes its samples to files in that
directory and `/metrics` adds them up; the directory must be emptied when the
service starts (compose mounts a tmpfs there) and is created when missing.
Labels are bounded: GraphQL operation names are capped, no label ever holds a
raw path or an id.
"""

import atexit
import hmac
import os
import re
import threading

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # The metrics below open their files in it as they are defined.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

PREFIX = "fmcore_"
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

http_requests = Counter(f"{PREFIX}http_requests", "HTTP requests answered, by method and status.", ["method", "status"])
graphql_operations = Counter(
    f"{PREFIX}graphql_operations", "GraphQL operations, by name, type and outcome.", ["name", "type", "outcome"]
)
graphql_duration = Histogram(
    f"{PREFIX}graphql_operation_duration_seconds", "GraphQL operation latency.", ["name", "type"], buckets=SECONDS
)
errors = Counter(f"{PREFIX}errors", "Errors answered to clients, by code.", ["code"])
sql_queries = Histogram(
    f"{PREFIX}http_request_sql_queries",
    "SQL queries run by one HTTP request.",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
answer_cache = Counter(
    f"{PREFIX}answer_cache",
    "Answer cache lookups (anonymous catalog answers; any answer served in front of Django), by result.",
    ["result"],
)
websocket_connections = Gauge(
    f"{PREFIX}websocket_connections", "Open GraphQL websocket connections.", multiprocess_mode="livesum"
)
websocket_subscriptions = Gauge(
    f"{PREFIX}websocket_subscriptions", "Running GraphQL subscriptions.", multiprocess_mode="livesum"
)
stream_subscribers = Gauge(
    f"{PREFIX}stream_subscribers",
    "Subscriptions receiving a channel-layer group's live messages (through their process's one membership).",
    multiprocess_mode="livesum",
)
outbox_backlog = Gauge(f"{PREFIX}outbox_backlog", "Outbox messages not sent yet.", multiprocess_mode="mostrecent")
outbox_oldest_age = Gauge(
    f"{PREFIX}outbox_oldest_age_seconds", "Age of the oldest unsent outbox message.", multiprocess_mode="mostrecent"
)
actor_runs = Counter(f"{PREFIX}actor_runs", "Dramatiq actor runs, by actor and outcome.", ["actor", "outcome"])
actor_duration = Histogram(f"{PREFIX}actor_duration_seconds", "Dramatiq actor run time.", ["actor"], buckets=SECONDS)
actor_retries = Counter(f"{PREFIX}actor_retries", "Dramatiq messages scheduled for a retry.", ["actor"])
webhook_deliveries = Counter(f"{PREFIX}webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"])

# Operation names come from clients: the first ones a process sees are kept,
# any further name is counted as "other".
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_operation_names: set[str] = set()
_operation_names_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "other"
    with _operation_names_lock:
        if name in _operation_names:
            return name
        if len(_operation_names) < MAX_OPERATION_NAMES:
            _operation_names.add(name)
            return name
    return "other"


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def metrics_setup() -> None:
    if _multiprocess():
        # Live gauges (websockets) of a process that exits cleanly stop counting.
        atexit.register(multiprocess.mark_process_dead, os.getpid())


# Collectors that read their samples (from the database) when /metrics is scraped,
# registered by the apps that own the data (e.g. partners' webhook backlog).
_scrape_collectors: list[Collector] = []


def scrape_collector_register(collector: Collector) -> None:
    """Have `collector` report at every scrape: in this process's registry, or,
    in multiprocess mode, in the registry each scrape builds (its samples come
    from the database, not from the processes' files)."""
    _scrape_collectors.append(collector)
    if not _multiprocess():
        REGISTRY.register(collector)


def _scrape_time_gauges() -> None:
    from infra.outbox import outbox_backlog_status

    backlog = outbox_backlog_status()
    outbox_backlog.set(backlog.count)
    outbox_oldest_age.set(backlog.oldest_age_seconds)


SCRAPE_UNAUTHENTICATED = {
    "errors": [{"message": "A valid metrics token is required.", "extensions": {"code": "UNAUTHENTICATED"}}]
}


def scrape_status(authorization: str) -> int:
    """200 for a scrape with `Authorization: Bearer <METRICS_TOKEN>`, 401 without it, 404 when no token is set."""
    token = settings.METRICS_TOKEN
    if not token:
        return 404
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return 401
    return 200


def exposition() -> bytes:
    """This process's samples or, with PROMETHEUS_MULTIPROC_DIR, those of every process writing there."""
    registry = REGISTRY
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _scrape_collectors:
            registry.register(collector)
    return generate_latest(registry)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition: 404 unless METRICS_TOKEN is set, 401 without that bearer token."""
    status = scrape_status(request.headers.get("Authorization", ""))
    if status == 404:
        raise Http404
    if status == 401:
        response = JsonResponse(SCRAPE_UNAUTHENTICATED, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    _scrape_time_gauges()
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
