from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.urls import path, re_path

from commerce.settlement.webhook_view import payment_webhook
from infra.health import health
from observability.metrics import metrics_view
from schema import schema
from schema.views import FmGraphQLView


def schema_sdl(request):
    """The SDL for code generators; hidden like introspection when that is off."""
    if not settings.GRAPHQL_INTROSPECTION:
        raise Http404
    return HttpResponse(schema.as_str() + "\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    re_path(r"^graphql/?$", FmGraphQLView.as_view(schema=schema)),
    path("health/", health),
    path("metrics", metrics_view),
    path("webhooks/payments/<str:provider>/", payment_webhook, name="payment-webhook"),
    path("schema.graphql", schema_sdl),
    path("admin/", admin.site.urls),
]

# An exception no view handled answers JSON with the request id (503 when the database is unavailable).
handler500 = "observability.errors.server_error"
