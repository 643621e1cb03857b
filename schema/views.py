"""GraphQL over HTTP (a Django view, so Django's middleware applies) and over
websockets (a Channels consumer), both building the same typed context."""

import asyncio
import functools
import json
import logging
import time
import weakref
from collections.abc import Mapping
from typing import Any

import orjson
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from cross_web import HTTPException
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.channels import GraphQLWSConsumer
from strawberry.django.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.mask_errors import MaskErrors
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import NextMessage, NextMessagePayload
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from accounts.authentication import request_authentication, token_from_authorization, user_for_token, uses_cookie_auth
from accounts.connections import session_group, user_connections_group
from accounts.errors import InvalidToken
from accounts.models import User
from accounts.policy import may_run_unregistered_documents
from accounts.principal import Principal
from infra.connections import CLOSE_CODE, CLOSE_MESSAGE_TYPE
from infra.error_codes import registered
from infra.graceful_shutdown import GOING_AWAY, websocket_closed, websocket_opened
from infra.memory import trim_after_closes
from observability import metrics
from observability.context import (
    REQUEST_ID_HEADER,
    current_request,
    current_request_id,
    request_begin,
    request_id_for,
)
from observability.errors import SERVICE_UNAVAILABLE, error_record, unexpected_error_code
from partners.authentication import app_for_authorization, uses_app_auth
from partners.connections import app_group
from partners.models import App

from .authentication import TOKEN_CODES
from .context import Context
from .persisted_documents import DocumentRefused, request_document
from .shared_results import frame_writer, next_frame

logger = logging.getLogger("fmcore.graphql")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# How long a closed websocket waits for its subscriptions to end before cancelling them again.
SUBSCRIPTIONS_END_SECONDS = 10
# Subscriptions only over websockets; mutations never over GET (a link must not change data).
HTTP_OPERATION_TYPES = {
    "GET": {OperationType.QUERY},
    "POST": {OperationType.QUERY, OperationType.MUTATION},
}


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    """Django's CSRF verdict for a cookie-authenticated request (None: passed)."""
    middleware = CsrfViewMiddleware(_no_view)
    middleware.process_request(request)
    return middleware.process_view(request, _no_view, (), {})


class Refusal(Exception):
    """A request refused before GraphQL runs: `{"errors": [{message, extensions: {code}}]}`, 4xx."""

    def __init__(self, status: int, message: str, code: str, *, allow: str | None = None):
        self.status = status
        self.message = message
        self.code = registered(code)
        self.allow = allow
        super().__init__(message)


def _refusal_of(error: HTTPException) -> Refusal:
    """strawberry's own refusals, with a code."""
    if isinstance(error.__cause__, json.JSONDecodeError):
        return Refusal(400, "The request is not valid JSON.", "INVALID_JSON")
    if error.status_code == 405:
        return Refusal(405, "GraphQL is served over GET and POST.", "METHOD_NOT_ALLOWED", allow="GET, POST")
    return Refusal(error.status_code, error.reason, "INVALID_REQUEST")


def _refusal_response(refusal: Refusal, media_type: str) -> HttpResponse:
    body = {"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}]}
    error_record(refusal.code)
    response = HttpResponse(orjson.dumps(body), status=refusal.status, content_type=media_type)
    if refusal.allow:
        response["Allow"] = refusal.allow
    return response


def _response_media_type(request: HttpRequest) -> str:
    """`application/graphql-response+json` when the client names it (at least as
    high as `application/json`); else `application/json`, also for a missing
    `Accept` or `*/*`, as older clients expect."""
    quality = {f"{t.main_type}/{t.sub_type}": t.quality for t in request.accepted_types}
    preferred = quality.get(GRAPHQL_RESPONSE_JSON, 0)
    if preferred and preferred >= quality.get("application/json", 0):
        return GRAPHQL_RESPONSE_JSON
    return "application/json"


def _is_request_error(result: Mapping[str, Any]) -> bool:
    """No execution began: the answer has errors and no data (field errors carry a path)."""
    errors = result.get("errors") or []
    return result.get("data") is None and bool(errors) and not any(e.get("path") for e in errors)


def _status_of_request_error(result: Mapping[str, Any]) -> int:
    codes = {(e.get("extensions") or {}).get("code") for e in result["errors"]}
    return 401 if codes & TOKEN_CODES else 400


_django_json = DjangoJSONEncoder()


def _json_default(value):
    """What orjson cannot encode itself (Decimal, lazy translations, ...), as Django would."""
    return _django_json.default(value)


@method_decorator(csrf_exempt, name="dispatch")
class FmGraphQLView(GraphQLView[Context, None]):
    """GraphQL over HTTP (https://graphql.github.io/graphql-over-http/).

    Refusals answer the same JSON error shape as GraphQL errors, with a code
    and a 4xx status. With `Accept: application/graphql-response+json` the
    answer has that media type and a request error (nothing executed) is a
    4xx; `application/json` clients get 200 with `"data": null` as before.

    Header tokens carry no ambient authority, so CSRF is checked only when
    the credentials are cookies (SPA cookie mode).
    """

    # The caller `_admit` found, for `get_context` (Django makes a view instance per request).
    app: App | None = None
    token_error: InvalidToken | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.graphql_ide = "graphiql" if settings.GRAPHQL_INTROSPECTION else None
        self.media_type = _response_media_type(request)
        try:
            self._admit(request)
            return self.run(request=request)
        except HTTPException as error:
            return _refusal_response(_refusal_of(error), self.media_type)
        except Refusal as refusal:
            return _refusal_response(refusal, self.media_type)

    def _admit(self, request: HttpRequest) -> None:
        try:
            request.body  # noqa: B018  (reads and caps the body: DATA_UPLOAD_MAX_MEMORY_SIZE)
        except RequestDataTooBig as error:
            raise Refusal(413, "The request body is too large.", "REQUEST_TOO_LARGE") from error
        if request.method == "POST" and uses_cookie_auth(request) and _csrf_failure(request):
            raise Refusal(403, "CSRF check failed.", "CSRF_FAILED")
        authorization = request.headers.get("Authorization")
        self.token_error = None
        if uses_app_auth(authorization):
            # A partner app; the user stays anonymous.
            self.app = app_for_authorization(authorization)
            request.user = AnonymousUser()
        else:
            self.app = None
            request.user, self.token_error = request_authentication(request)
        info = current_request()
        if info is not None:
            info.user_id = request.user.pk
            info.app_id = self.app.pk if self.app else None

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(
            request=request,
            response=response,
            user=request.user,
            app=self.app,
            token_error=self.token_error,
            cart_token=request.headers.get("X-Cart-Token"),
        )

    def should_render_graphql_ide(self, request_adapter) -> bool:
        # Strawberry takes any GET without `query` that accepts */* for the IDE; a
        # persisted query names its document in `extensions` instead.
        return request_adapter.query_params.get("extensions") is None and super().should_render_graphql_ide(
            request_adapter
        )

    def parse_http_body(self, request_adapter):
        if request_adapter.method == "POST":
            content_type, _ = parse_content_type(request_adapter.content_type or "")
            if content_type != "application/json":
                raise Refusal(415, "Send the request as application/json.", "UNSUPPORTED_MEDIA_TYPE")
        return super().parse_http_body(request_adapter)

    def _validate_batch_request(self, request_data, protocol) -> None:
        raise Refusal(400, "Send one operation per request; batching is not supported.", "BATCHING_NOT_SUPPORTED")

    def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        try:
            request_data.query = request_document(
                query=request_data.query,
                extensions=request_data.extensions,
                # The user's principal: only a user can be staff, and `context.principal`
                # may cost a guest cart lookup.
                may_run_any=settings.GRAPHQL_INTROSPECTION
                and may_run_unregistered_documents(Principal.for_user(context.user)),
            )
        except DocumentRefused as refused:
            return ExecutionResult(data=None, errors=[GraphQLError(refused.message, extensions={"code": refused.code})])
        try:
            return self.schema.execute_sync(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATION_TYPES[request_adapter.method],
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.SUBSCRIPTION:
                raise Refusal(
                    400, "Subscriptions are served over websockets (graphql-transport-ws).", "SUBSCRIPTION_OVER_HTTP"
                ) from error
            raise Refusal(405, "Mutations must be sent with POST.", "MUTATION_OVER_GET", allow="POST") from error
        except CannotGetOperationTypeError as error:
            raise Refusal(400, error.as_http_error_reason(), "INVALID_REQUEST") from error
        except MissingQueryError as error:
            raise Refusal(400, "The request has no GraphQL document (`query`).", "INVALID_REQUEST") from error

    def process_result(self, request: HttpRequest, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = super().process_result(request, result)
        if self.media_type == GRAPHQL_RESPONSE_JSON and _is_request_error(processed):
            processed.pop("data", None)
        return processed

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        response["Content-Type"] = self.media_type
        if self.media_type == GRAPHQL_RESPONSE_JSON and _is_request_error(response_data):
            response.status_code = _status_of_request_error(response_data)
        return response

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # orjson.JSONDecodeError is a json.JSONDecodeError: a bad body is still a 400

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, default=_json_default)


# Standard websocket close codes (RFC 6455, IANA registry) for a connect that failed on our side.
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR_CLOSE = 1011


def _app_still_valid(app: App) -> bool:
    return App.objects.filter(pk=app.pk, token_hash=app.token_hash, is_active=True).exists()


@functools.cache
def _results_left_as_executed(schema: Schema) -> bool:
    """Whether strawberry sends a result without errors as executed: no extension of `schema`
    adds to its payload (`get_results`) or handles it (`on_stream_result`; the masking
    extension's only touches errors)."""
    return all(
        type(extension).get_results is SchemaExtension.get_results
        and (isinstance(extension, MaskErrors) or type(extension).on_stream_result is SchemaExtension.on_stream_result)
        for extension in schema.get_extensions()
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler, letting a subscription's event stream send
    the `next` frames of shared answers itself (schema/shared_results.py `sent_directly`)
    when strawberry would send those answers unchanged."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        if isinstance(self.schema, Schema) and _results_left_as_executed(self.schema):
            # Set in the operation's own task, so for this subscription only.
            frame_writer.set(_NextFrames(self, operation))
        await super().run_operation(operation)


class _NextFrames:
    """Sends `next` payloads as the frames of one operation, while it runs.

    Every task started from the operation's task (a shared answer's execution, kept
    for seconds) copies its context: this holds the handler weakly, so such a copy
    does not keep a closed connection's handler and consumer in memory."""

    def __init__(self, handler: TransportWSHandler, operation: Operation[Context, None]):
        self.handler = weakref.ref(handler)
        self.operation_id = operation.id
        # Its running task holds the operation, so no other object has this id meanwhile
        # (a client may reuse the operation id once this one completed).
        self.operation_object = id(operation)

    async def __call__(self, payload: NextMessagePayload) -> None:
        handler = self.handler()
        operation = handler.operations.get(self.operation_id) if handler is not None else None
        if operation is not None and id(operation) == self.operation_object:  # else completed
            message: NextMessage = {"id": operation.id, "type": "next", "payload": payload}
            await operation.send_operation_message(message)


class FmGraphQLWSConsumer(GraphQLWSConsumer[Context, None]):
    """Websocket clients authenticate in `connection_init`: `{"authorization": "JWT <token>"}`,
    or `{"authorization": "App <token>"}` for partner apps.

    A connection joins the channel-layer groups of its user and login session,
    or of its app, and is closed (code 4403) when that access is revoked: the
    session's logout, revokeToken or refresh-token reuse; a user's password
    change, reset or deactivation; an app deactivated, deleted, narrowed or
    rotated (infra/connections.py). A user's connection also closes (4403)
    when its access token expires.

    A failure while authenticating (the database down, ...) is masked as on
    HTTP: logged with its traceback, and the socket closed with 1013 (try
    again later) for SERVICE_UNAVAILABLE or 1011 for INTERNAL_ERROR, the
    reason `{"code": ..., "requestId": ...}`.
    """

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allowed_origins", settings.CORS_ALLOWED_ORIGINS)
        kwargs.setdefault("subscription_protocols", (GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        kwargs.setdefault("max_subscriptions_per_connection", settings.GRAPHQL_MAX_SUBSCRIPTIONS)
        super().__init__(**kwargs)
        self.user: User | AnonymousUser = AnonymousUser()
        self.app: App | None = None
        # The groups of its user, session or app (revocations), left again when it disconnects.
        self.joined_groups: set[str] = set()
        self.expiry: asyncio.Task | None = None
        self.graphql_context: Context | None = None
        self.counted = False
        self.closing = False

    async def websocket_connect(self, message) -> None:
        # Every operation of the connection runs in tasks started from here: they log with its id.
        headers = dict(self.scope.get("headers") or [])
        request_begin(request_id_for(headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")))
        await super().websocket_connect(message)

    async def connect(self) -> None:
        if GRAPHQL_TRANSPORT_WS_PROTOCOL not in self.scope.get("subprotocols", ()):
            # The legacy `graphql-ws` protocol (or none) is refused at the handshake:
            # closing before accepting answers it with 403.
            await self.close()
            return
        websocket_opened(self)
        await super().connect()
        self.counted = True
        metrics.websocket_connections.inc()

    async def on_ws_connect(self, context: Context):
        try:
            await self._authenticate(context)
        except ConnectionRejectionError:
            raise
        except Exception as error:
            await self._close_failed(error)
            raise ConnectionRejectionError() from error  # strawberry's own close is then a no-op
        return UNSET

    async def _authenticate(self, context: Context) -> None:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization") or params.get("Authorization")
        if isinstance(authorization, str) and uses_app_auth(authorization):
            await self._app_connect(context, authorization)
        elif authorization:
            # A payload is client JSON: anything but a string is an invalid token.
            token = token_from_authorization(authorization) if isinstance(authorization, str) else None
            user = await database_sync_to_async(user_for_token)(token)
            if not user.is_authenticated:
                raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
            await self._join(user_connections_group(user.pk), session_group(user.token_claims["sid"]))
            # A revocation committed between the check and joining the groups
            # told nobody: check the token again.
            if not (await database_sync_to_async(user_for_token)(token)).is_authenticated:
                raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
            self.user = context.user = self.scope["user"] = user
            context.principal = Principal.for_user(user)
            self.expiry = asyncio.create_task(self._close_at(user.token_claims["exp"]))

    async def _close_failed(self, error: Exception) -> None:
        code = unexpected_error_code(error)
        logger.error("websocket connect failed: %s", code, exc_info=error)
        error_record(code)
        reason = orjson.dumps({"code": code, "requestId": current_request_id()}).decode()
        await self._close(TRY_AGAIN_LATER if code == SERVICE_UNAVAILABLE else INTERNAL_ERROR_CLOSE, reason)

    async def _app_connect(self, context: Context, authorization: str) -> None:
        app = await database_sync_to_async(app_for_authorization)(authorization)
        if app is None:
            raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
        await self._join(app_group(app.pk))
        # A rotation or deactivation committed between the lookup and joining
        # the group sent its close message to nobody: look again.
        if not await database_sync_to_async(_app_still_valid)(app):
            raise ConnectionRejectionError({"code": "INVALID_TOKEN"})
        self.app = context.app = app
        context.principal = Principal.for_app(app)

    async def _join(self, *groups: str) -> None:
        assert self.channel_layer is not None  # CHANNEL_LAYERS is always configured
        for group in groups:
            self.joined_groups.add(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def _close_at(self, timestamp: float) -> None:
        await asyncio.sleep(timestamp - time.time())
        await self._close_revoked()

    async def dispatch(self, message):
        message_type = message.get("type", "")
        if message_type == CLOSE_MESSAGE_TYPE:
            await self._close_revoked()
        elif message_type == "websocket.connect":
            # Channels' dispatch first closes the thread's old database connections, a thread
            # hop; opening a socket touches no database (authentication waits for connection_init).
            await self.websocket_connect(message)
        else:
            await super().dispatch(message)

    async def websocket_disconnect(self, message) -> None:
        # Channels' own closes old database connections too (a thread hop): ending the subscriptions
        # touches no database, and their own database work runs in `database_sync_to_async`,
        # which closes its connection in its thread. This consumer joins no `groups` of channels'.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def _close_revoked(self) -> None:
        """The user or app lost access: close the socket and end its subscriptions now."""
        if self.expiry is not None and self.expiry is not asyncio.current_task():
            self.expiry.cancel()  # a revocation came first: no second close at expiry
        self.app = None
        self.user = AnonymousUser()
        await self._close(CLOSE_CODE)

    async def close_going_away(self) -> None:
        """This replica is shutting down (infra/graceful_shutdown.py): the client should reconnect."""
        await self._close(GOING_AWAY)

    async def _close(self, code: int, reason: str | None = None) -> None:
        await self.close(code=code, reason=reason)
        self.message_queue.put_nowait({"message": None, "disconnected": True})

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        # The first close wins: a second websocket.close is an ASGI error.
        if not self.closing:
            self.closing = True
            await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        websocket_closed(self)
        if self.counted:
            self.counted = False
            metrics.websocket_connections.dec()
        if self.expiry is not None:
            self.expiry.cancel()
        try:
            # Strawberry cancels the subscriptions and waits for them to end. With
            # hundreds of sockets closing at once, some cancellations were lost while
            # a channel-layer command was in flight: the subscription then waited for
            # messages forever and so did this disconnect, keeping the consumer, its
            # memory and its group memberships. A timed-out wait cancels them again.
            await asyncio.wait_for(super().disconnect(code), SUBSCRIPTIONS_END_SECONDS)
        except TimeoutError:
            logger.warning("subscriptions of a closed websocket did not end within %s s", SUBSCRIPTIONS_END_SECONDS)
        # These hold this consumer: the expiry's CancelledError traceback, the run's result, and the
        # context, which graphql-core's executors (reference cycles themselves) keep. Kept, every closed
        # connection waited for a full gc to be freed (~50 MB per 1,000 connections).
        self.expiry = self.run_task = None
        if self.graphql_context is not None:
            self.graphql_context.request = None
        for group in self.joined_groups:
            assert self.channel_layer is not None  # it was joined through the layer
            await self.channel_layer.group_discard(group, self.channel_name)
        trim_after_closes()

    async def get_context(self, request, response) -> Context:
        self.graphql_context = Context(request=request, response=None, user=self.user, app=self.app)
        return self.graphql_context

    def encode_json(self, data: object) -> str:
        if isinstance(data, dict) and data.get("type") == "next":
            return next_frame(data["id"], data["payload"], self._encode)
        return self._encode(data).decode()

    @staticmethod
    def _encode(data: object) -> bytes:
        return orjson.dumps(data, default=_json_default)
