"""GraphQL over HTTP (a Django view, so Django's middleware applies) and over
websockets (a Channels consumer), both building the same typed context."""

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.channels import GraphQLWSConsumer
from strawberry.django.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from accounts.authentication import request_user, token_from_authorization, user_for_token, uses_cookie_auth
from accounts.connections import user_group
from fmcore.connections import CLOSE_CODE, CLOSE_MESSAGE_TYPE
from fmcore.graceful_shutdown import GOING_AWAY, websocket_closed, websocket_opened
from partners.authentication import app_for_authorization, uses_app_auth
from partners.connections import app_group
from partners.models import App

from .context import Context


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF verdict for a cookie-authenticated request (None: passed)."""
    middleware = CsrfViewMiddleware(lambda req: HttpResponse())
    middleware.process_request(request)
    return middleware.process_view(request, None, (), {})


def _error_response(message: str, code: str, *, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


_django_json = DjangoJSONEncoder()


def _json_default(value):
    """What orjson cannot encode itself (Decimal, lazy translations, ...), as Django would."""
    return _django_json.default(value)


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
        authorization = request.headers.get("Authorization")
        # `App <token>`: a partner app; the user stays anonymous (request_user ignores the scheme).
        request.app = app_for_authorization(authorization) if uses_app_auth(authorization) else None
        request.user = request_user(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response, user=request.user, app=request.app)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # orjson.JSONDecodeError is a json.JSONDecodeError: a bad body is still a 400

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, default=_json_default)


def _app_still_valid(app: App) -> bool:
    return App.objects.filter(pk=app.pk, token_hash=app.token_hash, is_active=True).exists()


class FmGraphQLWSConsumer(GraphQLWSConsumer):
    """Websocket clients authenticate in `connection_init`: `{"authorization": "JWT <token>"}`,
    or `{"authorization": "App <token>"}` for partner apps.

    A connection joins the channel-layer group of its user or app and is
    closed (code 4403) when that access is revoked: a user's password change,
    reset or deactivation; an app deactivated, deleted, narrowed or rotated
    (fmcore/connections.py).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("allowed_origins", settings.CORS_ALLOWED_ORIGINS)
        super().__init__(**kwargs)
        self.user = AnonymousUser()
        self.app: App | None = None
        self.revocation_group: str | None = None

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization") or params.get("Authorization")
        if isinstance(authorization, str) and uses_app_auth(authorization):
            await self._app_connect(context, authorization)
        elif authorization:
            # A payload is client JSON: anything but a string is an invalid token.
            token = token_from_authorization(authorization) if isinstance(authorization, str) else None
            user = await sync_to_async(user_for_token)(token)
            if not user.is_authenticated:
                raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
            await self._join(user_group(user.pk))
            # A revocation committed between the check and joining the group
            # told nobody: check the token again.
            if not (await sync_to_async(user_for_token)(token)).is_authenticated:
                raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
            self.user = context.user = self.scope["user"] = user
        return UNSET

    async def _app_connect(self, context: Context, authorization: str) -> None:
        app = await sync_to_async(app_for_authorization)(authorization)
        if app is None:
            raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
        await self._join(app_group(app.pk))
        # A rotation or deactivation committed between the lookup and joining
        # the group sent its close message to nobody: look again.
        if not await sync_to_async(_app_still_valid)(app):
            raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
        self.app = context.app = app

    async def _join(self, group: str) -> None:
        self.revocation_group = group
        await self.channel_layer.group_add(group, self.channel_name)

    async def dispatch(self, message):
        if message.get("type") == CLOSE_MESSAGE_TYPE:
            await self._close_revoked()
            return
        await super().dispatch(message)

    async def _close_revoked(self) -> None:
        """The user or app lost access: close the socket and end its subscriptions now."""
        self.app = None
        self.user = AnonymousUser()
        await self._close(CLOSE_CODE)

    async def close_going_away(self) -> None:
        """This replica is shutting down (fmcore/graceful_shutdown.py): the client should reconnect."""
        await self._close(GOING_AWAY)

    async def _close(self, code: int) -> None:
        await self.close(code=code)
        self.message_queue.put_nowait({"message": None, "disconnected": True})

    async def connect(self) -> None:
        websocket_opened(self)
        await super().connect()

    async def disconnect(self, code: int) -> None:
        websocket_closed(self)
        if self.revocation_group is not None:
            await self.channel_layer.group_discard(self.revocation_group, self.channel_name)
        await super().disconnect(code)

    async def get_context(self, request, response) -> Context:
        return Context(request=request, response=None, user=self.user, app=self.app)
