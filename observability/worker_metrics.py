"""The Dramatiq worker's own `/metrics` (its actor runs), on WORKER_METRICS_PORT.

Web replicas serve their processes' metrics; a worker container's processes
write theirs to the worker's PROMETHEUS_MULTIPROC_DIR, which nothing else
reads. Dramatiq starts a middleware's `forks` once per `dramatiq` command
(however many `--processes`), so the exposition server runs once per worker
container and adds up every worker process's files. Scrapes need the same
`Authorization: Bearer $METRICS_TOKEN` as the web's /metrics.
"""

import json
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server

import django
from django.conf import settings
from dramatiq.middleware import Middleware
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics

METRICS_PATH = "/metrics"


class WorkerMetricsServer(Middleware):
    """Starts `worker_metrics_serve` beside the worker processes when WORKER_METRICS_PORT is set."""

    @property
    def forks(self) -> list[Callable[[], int]]:
        return [worker_metrics_serve] if settings.WORKER_METRICS_PORT else []


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # a scrape every few seconds is not worth a log line


def _metrics_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    status = (
        404
        if environ.get("PATH_INFO") != METRICS_PATH
        else metrics.scrape_status(environ.get("HTTP_AUTHORIZATION", ""))
    )
    if status == 404:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found"]
    if status == 401:
        start_response("401 Unauthorized", [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")])
        return [json.dumps(metrics.SCRAPE_UNAUTHENTICATED).encode()]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [metrics.exposition()]


def worker_metrics_serve() -> int:
    """A Dramatiq fork function: serve the worker processes' metrics until stopped."""
    django.setup()  # forked from the `dramatiq` parent, which never loads Django
    # Reached over the compose network by Prometheus, never published on the host; the token guards it.
    with make_server(
        "0.0.0.0",  # noqa: S104
        settings.WORKER_METRICS_PORT,
        _metrics_app,
        handler_class=_QuietHandler,
    ) as server:
        server.serve_forever()
    return 0
