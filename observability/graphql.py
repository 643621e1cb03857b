"""Schema extensions: operation metrics and the request's log fields; tracing spans when enabled."""

import time
from collections.abc import Iterator

from django.conf import settings
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from . import metrics
from .context import current_request


class OperationMetrics(SchemaExtension):
    """Count and time each operation by (capped) name, type and outcome.

    Listed before the masking extension, so it sees the errors as clients do.
    For a subscription the operation lasts as long as the stream: it counts in
    the subscriptions gauge instead of the latency histogram.
    """

    def on_operation(self) -> Iterator[None]:
        started = time.monotonic()
        self._subscription = False
        try:
            yield
        finally:
            # Also when the stream is cancelled: the client completed it or went away.
            if self._subscription:
                metrics.websocket_subscriptions.dec()
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except RuntimeError:  # no document (a parse error) or no such operation
            operation_type = "unknown"
        name = metrics.operation_label(context.operation_name)
        result = context.result
        outcome = "error" if getattr(result, "errors", None) else "success"
        info = current_request()
        if info is not None:
            info.operation_name = context.operation_name
            info.operation_type = operation_type
        metrics.graphql_operations.labels(name, operation_type, outcome).inc()
        if not self._subscription:
            metrics.graphql_duration.labels(name, operation_type).observe(time.monotonic() - started)

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            self._subscription = True
            metrics.websocket_subscriptions.inc()
        yield


def tracing_extensions() -> list:
    """Strawberry's OpenTelemetry spans, only when tracing is on (nothing imported otherwise)."""
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return []
    from strawberry.extensions.tracing import OpenTelemetryExtensionSync

    return [OpenTelemetryExtensionSync]
