"""The first middleware: request id, health probes, the access-log line and HTTP metrics."""

import logging
import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

from infra.health import health_live, health_ready

from . import metrics
from .context import REQUEST_ID_HEADER, RequestInfo, current_request, request_begin, request_end, request_id_for

access_logger = logging.getLogger("fmcore.access")

# Answered here, before CommonMiddleware validates the Host header: a probe
# reaches the process by an address ALLOWED_HOSTS need not list.
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/health/live": health_live, "/health/ready": health_ready}


def _count_query(execute, sql, params, many, context):
    info = current_request()
    if info is not None:
        info.sql_queries += 1
    return execute(sql, params, many, context)


def http_request_record(
    *, method: str, path: str, status: int, client_ip: str | None, duration: float, info: RequestInfo
) -> None:
    """The HTTP metrics and the JSON access-log line of one answered request."""
    metrics.http_requests.labels(method, str(status)).inc()
    metrics.sql_queries.observe(info.sql_queries)
    access_logger.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "status": status,
            # The peer, or X-Forwarded-For's client when the peer is a trusted proxy (FORWARDED_ALLOW_IPS).
            "client_ip": client_ip,
            "duration_ms": round(duration * 1000, 1),
            "operation_name": info.operation_name,
            "operation_type": info.operation_type,
            "user_id": info.user_id,
            "app_id": info.app_id,
            "error_code": info.error_code,
            "sql_queries": info.sql_queries,
        },
    )


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        info = request_begin(request_id_for(request.headers.get(REQUEST_ID_HEADER)))
        try:
            probe = PROBES.get(request.path_info.rstrip("/"))
            # Installed for this request only: a connection_created receiver ran on every
            # checkout from the pool (each request), this costs an append and a pop.
            with connection.execute_wrapper(_count_query):
                response = probe(request) if probe else self.get_response(request)
            response[REQUEST_ID_HEADER] = info.request_id
            http_request_record(
                method=request.method or "",
                path=request.path,
                status=response.status_code,
                client_ip=request.META.get("REMOTE_ADDR"),
                duration=time.monotonic() - started,
                info=info,
            )
        finally:
            request_end()
        return response
