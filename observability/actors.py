"""Dramatiq middleware: a message carries the request id of the request that
caused it; each run gets one log line and its metrics."""

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from . import metrics
from .context import current_request_id, request_begin, request_end

REQUEST_ID_OPTION = "request_id"
logger = logging.getLogger("fmcore.actors")


def with_request_id(options: dict) -> dict:
    """`options` plus the current request id, for messages sent later (the outbox)."""
    request_id = current_request_id()
    if request_id is None or REQUEST_ID_OPTION in options:
        return options
    return {**options, REQUEST_ID_OPTION: request_id}


class RequestIdAndMetrics(Middleware):
    """Carry the request id into messages; log and measure every actor run.

    Listed after `Retries`, so a failed run already knows whether it will be retried.
    """

    def __init__(self) -> None:
        self._run = threading.local()  # a worker thread runs one message at a time

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int) -> None:
        request_id = current_request_id()
        if request_id is not None:
            message.options.setdefault(REQUEST_ID_OPTION, request_id)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        # A message without an id (periodic actors, the relay) gets one of its own.
        request_begin(message.options.get(REQUEST_ID_OPTION) or message.message_id)
        self._run.started = time.monotonic()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            outcome = "succeeded"
        elif message.failed:
            outcome = "failed"
        else:
            outcome = "retried"
            metrics.actor_retries.labels(message.actor_name).inc()
        self._finish(message, outcome, exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        self._finish(message, "skipped", None)

    def _finish(self, message: dramatiq.MessageProxy, outcome: str, exception: BaseException | None) -> None:
        started = getattr(self._run, "started", None)
        duration = time.monotonic() - started if started is not None else 0.0
        self._run.started = None
        metrics.actor_runs.labels(message.actor_name, outcome).inc()
        metrics.actor_duration.labels(message.actor_name).observe(duration)
        logger.log(
            logging.ERROR if outcome == "failed" else logging.INFO,
            "actor %s %s",
            message.actor_name,
            outcome,
            extra={
                "request_id": current_request_id(),
                "message_id": message.message_id,
                "actor": message.actor_name,
                "duration_ms": round(duration * 1000, 1),
                "outcome": outcome,
                "error": type(exception).__name__ if exception else None,
            },
        )
        request_end()
