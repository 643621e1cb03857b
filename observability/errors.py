"""Errors as clients and operators see them: counted by code, the request's
first code on its log line, a JSON answer (never Django's HTML page) for an
exception no view handled, and Sentry for the unexpected ones."""

import sys
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse

from . import metrics
from .context import current_request, current_request_id

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_ERROR = "INTERNAL_ERROR"
SERVICE_UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Please try again shortly."
RETRY_AFTER_SECONDS = 5


def error_record(code: str) -> None:
    metrics.errors.labels(code).inc()
    info = current_request()
    if info is not None:
        info.record_error(code)


def database_unavailable(error: BaseException | None) -> bool:
    """The database cannot be reached or the pool has no free connection (a timeout)."""
    return isinstance(error, (OperationalError, InterfaceError))


def unexpected_error_code(error: BaseException | None) -> str:
    """The code an exception nobody handled answers: the database's absence is worth a retry."""
    return SERVICE_UNAVAILABLE if database_unavailable(error) else INTERNAL_ERROR


def error_body(message: str, code: str) -> dict:
    return {"errors": [{"message": message, "extensions": {"code": code, "requestId": current_request_id()}}]}


def server_error(request: HttpRequest) -> JsonResponse:
    """`handler500`: what an exception outside GraphQL's masking answers (e.g. on the auth path)."""
    code = unexpected_error_code(sys.exc_info()[1])
    if code == SERVICE_UNAVAILABLE:
        message, status = SERVICE_UNAVAILABLE_MESSAGE, 503
    else:
        message, status = "Unexpected error.", 500
    error_record(code)
    response = JsonResponse(error_body(message, code), status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def sentry_setup() -> None:
    """Report unexpected exceptions (Django, Dramatiq, masked GraphQL errors) when SENTRY_DSN is set."""
    if not settings.SENTRY_DSN:
        return
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration

    def tag_request_id(event: "Event", hint: "Hint") -> "Event":
        request_id = current_request_id()
        if request_id:
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), DramatiqIntegration()],
        traces_sample_rate=0.0,
        send_default_pii=False,
        before_send=tag_request_id,
    )
