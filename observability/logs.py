"""Log configuration: one JSON object per line in production (python-json-logger),
readable text in development; every line of a request carries its request id."""

import logging

from .context import current_request_id

# Fields every line has; access and actor lines add theirs (docs/operations.md).
JSON_FIELDS = ("timestamp", "levelname", "name", "message", "request_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamp the current request id on records that do not bring their own (actor lines do)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def logging_config(*, log_format: str, level: int) -> dict:
    """The `LOGGING` setting; `log_format` is "json" or "text"."""
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": list(JSON_FIELDS[1:]),
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
        "text": {"format": TEXT_FORMAT},
    }
    handler = {
        "class": "logging.StreamHandler",
        "formatter": log_format,
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "observability.logs.RequestIdFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            # uvicorn configured its loggers before Django started: its server
            # lines go through ours; its access log is off: fmcore.access says more.
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
