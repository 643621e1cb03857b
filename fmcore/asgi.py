"""ASGI entry point: Django for HTTP, Channels for GraphQL over websockets,
behind the lifespan handler that makes SIGTERM close websockets first."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmcore.settings")

from infra.http_handler import get_asgi_application

# Django must be set up before the schema (and its models) is imported.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import re_path  # noqa: E402

from infra.graceful_shutdown import GracefulShutdown  # noqa: E402
from schema import schema  # noqa: E402
from schema.front_cache import AnswerFront, CustomerTokenCheck  # noqa: E402
from schema.views import FmGraphQLWSConsumer  # noqa: E402

websocket_application = URLRouter([re_path(r"^graphql/?$", FmGraphQLWSConsumer.as_asgi(schema=schema))])

# With Redis, cached anonymous answers (and, on PostgreSQL, customers' cart and
# orders answers) are served before Django runs (schema/front_cache.py).
front = (
    AnswerFront(
        django_application,
        settings.REDIS_URL,
        CustomerTokenCheck(settings.DATABASES["default"]) if settings.IS_POSTGRES else None,
    )
    if settings.REDIS_URL
    else None
)
application = GracefulShutdown(
    ProtocolTypeRouter({"http": front or django_application, "websocket": websocket_application}),
    on_shutdown=[front.close] if front else [],
)

if settings.DRAMATIQ_IN_PROCESS_WORKER:
    from infra.inprocess_worker import start_in_process_worker

    start_in_process_worker()
