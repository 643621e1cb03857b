"""Observability: request ids, structured logs, Prometheus metrics, tracing,
error reporting and the health probes (docs/operations.md)."""
