"""What one request (or one actor run) is: its id and the facts its log line reports.

The id lives in a context variable, so every log line, masked error and
Dramatiq message the request causes carries it, in whichever thread Django
runs the view (asgiref copies context variables into its threads).
"""

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is 1-128 characters of [A-Za-z0-9._-]; anything
# else (empty, too long, spaces, quotes...) could forge or break log lines.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass
class RequestInfo:
    """Filled in as the request goes: the access-log line and the metrics read it at the end."""

    request_id: str
    operation_name: str | None = None
    operation_type: str | None = None
    user_id: int | None = None
    app_id: int | None = None
    error_code: str | None = None
    sql_queries: int = 0

    def record_error(self, code: str) -> None:
        """The first error code of the request is the one its log line reports."""
        if self.error_code is None:
            self.error_code = code


_current: ContextVar[RequestInfo | None] = ContextVar("fmcore_request", default=None)


def request_id_for(incoming: str | None) -> str:
    """The incoming id when it is valid, else a new one."""
    if incoming and _VALID_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_begin(request_id: str) -> RequestInfo:
    info = RequestInfo(request_id=request_id)
    _current.set(info)
    return info


def current_request() -> RequestInfo | None:
    return _current.get()


def current_request_id() -> str | None:
    info = _current.get()
    return info.request_id if info else None


def request_end() -> None:
    _current.set(None)
