"""The first middleware: request id, health probes, the access-log line and HTTP metrics."""

import logging
import time
from collections.abc import Callable

from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from fmcore.health import health_live, health_ready

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


@receiver(connection_created)
def _count_queries_of(sender, connection, **kwargs) -> None:
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        info = request_begin(request_id_for(request.headers.get(REQUEST_ID_HEADER)))
        try:
            probe = PROBES.get(request.path_info.rstrip("/"))
            response = probe(request) if probe else self.get_response(request)
            response[REQUEST_ID_HEADER] = info.request_id
            self._record(request, response, info, time.monotonic() - started)
        finally:
            request_end()
        return response

    def _record(self, request: HttpRequest, response: HttpResponse, info: RequestInfo, duration: float) -> None:
        metrics.http_requests.labels(request.method, str(response.status_code)).inc()
        metrics.sql_queries.observe(info.sql_queries)
        access_logger.log(
            logging.WARNING if response.status_code >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                # The peer, or X-Forwarded-For's client when the peer is a trusted proxy (FORWARDED_ALLOW_IPS).
                "client_ip": request.META.get("REMOTE_ADDR"),
                "duration_ms": round(duration * 1000, 1),
                "operation_name": info.operation_name,
                "operation_type": info.operation_type,
                "user_id": info.user_id,
                "app_id": info.app_id,
                "error_code": info.error_code,
                "sql_queries": info.sql_queries,
            },
        )
