from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # Before the ASGI handler loads the middleware and the schema is built:
        # the Django instrumentation inserts its own middleware.
        from . import middleware  # noqa: F401  (connects the SQL query counter to new connections)
        from .errors import sentry_setup
        from .metrics import metrics_setup
        from .tracing import tracing_setup

        metrics_setup()
        tracing_setup()
        sentry_setup()
