"""GraphQL over HTTP (a Django view, so Django's middleware applies) and over
websockets (a Channels consumer), both building the same typed context."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.channels import GraphQLWSConsumer
from strawberry.django.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from accounts.authentication import request_user, token_from_authorization, user_for_token, uses_cookie_auth

from .context import Context


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF verdict for a cookie-authenticated request (None: passed)."""
    middleware = CsrfViewMiddleware(lambda req: HttpResponse())
    middleware.process_request(request)
    return middleware.process_view(request, None, (), {})


def _error_response(message: str, code: str, *, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


@method_decorator(csrf_exempt, name="dispatch")
class FmGraphQLView(GraphQLView):
    """Header tokens carry no ambient authority, so CSRF is checked only when
    the credentials are cookies (SPA cookie mode)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.graphql_ide = "graphiql" if settings.GRAPHQL_INTROSPECTION else None
        try:
            request.body  # noqa: B018  (reads and caps the body: DATA_UPLOAD_MAX_MEMORY_SIZE)
        except RequestDataTooBig:
            return _error_response("The request body is too large.", "REQUEST_TOO_LARGE", status=413)
        if request.method == "POST" and uses_cookie_auth(request) and _csrf_failure(request):
            return _error_response("CSRF check failed.", "CSRF_FAILED", status=403)
        request.user = request_user(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response, user=request.user)


class FmGraphQLWSConsumer(GraphQLWSConsumer):
    """Websocket clients authenticate in `connection_init`: `{"authorization": "JWT <token>"}`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allowed_origins", settings.CORS_ALLOWED_ORIGINS)
        super().__init__(**kwargs)
        self.user = AnonymousUser()

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization") or params.get("Authorization")
        if authorization:
            # A payload is client JSON: anything but a string is an invalid token.
            token = token_from_authorization(authorization) if isinstance(authorization, str) else None
            user = await sync_to_async(user_for_token)(token)
            if not user.is_authenticated:
                raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
            self.user = context.user = self.scope["user"] = user
        return UNSET

    async def get_context(self, request, response) -> Context:
        return Context(request=request, response=None, user=self.user)
