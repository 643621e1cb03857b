"""OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans for Django
requests, psycopg queries, Redis commands and (observability/graphql.py)
Strawberry, exported over OTLP/HTTP. Unset, nothing of OpenTelemetry is imported.

The exporter reads the standard OTEL_* variables itself (endpoint, headers,
OTEL_SERVICE_NAME, OTEL_BSP_* batching).
"""

from django.conf import settings


def tracing_setup() -> bool:
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
    return True
