"""Websocket connections (graphql-transport-ws) authenticate in `connection_init`."""

import json

import pytest
import responses
from channels.testing import WebsocketCommunicator

from accounts.tokens import token_pair_issue
from fmcore.asgi import application
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ME_QUERY = "query { me { email isStaff } }"


async def connect(payload: dict | None) -> tuple[WebsocketCommunicator, dict]:
    """Open /graphql/, send connection_init and return the first answer."""
    communicator = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, subprotocol = await communicator.connect()
    assert connected
    assert subprotocol == "graphql-transport-ws"
    init = {"type": "connection_init"}
    if payload is not None:
        init["payload"] = payload
    await communicator.send_json_to(init)
    return communicator, await communicator.receive_output(timeout=5)


async def run(communicator: WebsocketCommunicator, query: str, variables: dict | None = None) -> dict:
    """Run one operation over the socket; return its data (no GraphQL errors allowed)."""
    payload = {"query": query, "variables": variables or {}}
    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": payload})
    result = await communicator.receive_json_from(timeout=5)
    assert result["type"] == "next", result
    assert result["id"] == "1"
    assert "errors" not in result["payload"], result
    complete = await communicator.receive_json_from(timeout=5)
    assert complete == {"id": "1", "type": "complete"}
    return result["payload"]["data"]


async def run_me(communicator: WebsocketCommunicator) -> dict:
    return await run(communicator, ME_QUERY)


@pytest.fixture
def token(customer) -> str:
    return token_pair_issue(user=customer).token


async def test_a_valid_token_authenticates_the_connection(token):
    communicator, answer = await connect({"authorization": f"JWT {token}"})

    assert answer["type"] == "websocket.send"
    assert json.loads(answer["text"]) == {"type": "connection_ack"}
    assert await run_me(communicator) == {"me": {"email": "customer@example.com", "isStaff": False}}
    await communicator.disconnect()


async def test_bearer_scheme_works_too(token):
    communicator, answer = await connect({"authorization": f"Bearer {token}"})

    assert json.loads(answer["text"]) == {"type": "connection_ack"}
    assert (await run_me(communicator))["me"]["email"] == "customer@example.com"
    await communicator.disconnect()


@pytest.mark.parametrize("payload", [None, {}, {"other": "value"}])
async def test_no_token_is_an_anonymous_connection(customer, payload):
    communicator, answer = await connect(payload)

    assert json.loads(answer["text"]) == {"type": "connection_ack"}
    assert await run_me(communicator) == {"me": None}
    await communicator.disconnect()


@pytest.mark.parametrize(
    "authorization",
    ["JWT garbage", "JWT ", "Basic dXNlcjpwYXNz", "garbage", 123, ["JWT x"]],
)
async def test_an_invalid_token_is_refused_with_4403(customer, authorization):
    communicator, answer = await connect({"authorization": authorization})

    assert answer == {"type": "websocket.close", "code": 4403, "reason": "Forbidden"}
    await communicator.disconnect()


async def test_a_logged_out_token_is_refused(customer, token):
    from asgiref.sync import sync_to_async

    from accounts.services import user_logout
    from accounts.tokens import access_token_user

    await sync_to_async(lambda: user_logout(user=access_token_user(token)))()

    communicator, answer = await connect({"authorization": f"JWT {token}"})

    assert answer["type"] == "websocket.close"
    assert answer["code"] == 4403
    await communicator.disconnect()


# Every operation also runs over the socket (graphql-transport-ws carries
# queries and mutations): those that read the HTTP request must not break.


async def test_token_auth_over_the_socket(customer):
    communicator, _ = await connect(None)

    data = await run(
        communicator,
        "mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p, cookie: true) "
        "{ __typename ... on TokenPayload { token user { email } } } }",
        {"e": "customer@example.com", "p": DEFAULT_PASSWORD},
    )

    assert data["tokenAuth"]["__typename"] == "TokenPayload"
    assert data["tokenAuth"]["user"]["email"] == "customer@example.com"
    await communicator.disconnect()


async def test_logout_over_the_socket(token):
    """Logging out ends the session, this socket included: it closes with 4403,
    possibly before the answer goes out."""
    communicator, _ = await connect({"authorization": f"JWT {token}"})

    payload = {"query": "mutation { logout { __typename } }", "variables": {}}
    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": payload})
    outputs = [await communicator.receive_output(timeout=5)]
    while outputs[-1]["type"] != "websocket.close":
        outputs.append(await communicator.receive_output(timeout=5))

    assert outputs[-1]["code"] == 4403
    answers = [json.loads(output["text"]) for output in outputs[:-1]]
    assert all(answer["type"] in {"next", "complete"} for answer in answers)
    assert all(
        answer["payload"]["data"] == {"logout": {"__typename": "OkPayload"}}
        for answer in answers
        if answer["type"] == "next"
    )
    refused, answer = await connect({"authorization": f"JWT {token}"})
    assert answer["code"] == 4403
    await refused.disconnect()


async def test_refresh_without_argument_over_the_socket(customer):
    communicator, _ = await connect(None)

    data = await run(
        communicator, "mutation { refreshToken { __typename ... on OperationInfo { messages { code } } } }"
    )

    assert data["refreshToken"] == {"__typename": "OperationInfo", "messages": [{"code": "INVALID_TOKEN"}]}
    await communicator.disconnect()


async def test_password_reset_request_over_the_socket(customer):
    communicator, _ = await connect(None)

    data = await run(communicator, 'mutation { requestPasswordReset(email: "customer@example.com") { __typename } }')

    assert data == {"requestPasswordReset": {"__typename": "OkPayload"}}
    await communicator.disconnect()


async def test_google_login_over_the_socket(db):
    with responses.RequestsMock() as google:
        google.add(
            responses.GET,
            "https://www.googleapis.com/oauth2/v3/userinfo",
            json={"sub": "77", "email": "sock@example.com", "email_verified": True},
        )
        communicator, _ = await connect(None)

        data = await run(
            communicator,
            'mutation { socialAuth(provider: "google-oauth2", accessToken: "t") '
            "{ __typename ... on TokenPayload { user { email } } } }",
        )

    assert data["socialAuth"] == {"__typename": "TokenPayload", "user": {"email": "sock@example.com"}}
    await communicator.disconnect()


async def test_expected_failures_are_data_over_the_socket_too(customer):
    """Domain errors and Django validation errors become OperationInfo, codes upper-cased."""
    communicator, _ = await connect(None)
    info = "__typename ... on OperationInfo { messages { code field } }"

    login = await run(
        communicator,
        f'mutation {{ tokenAuth(email: "customer@example.com", password: "wrong") {{ {info} }} }}',
    )
    register = await run(
        communicator,
        f'mutation {{ register(input: {{email: "new@example.com", password: "short"}}) {{ {info} }} }}',
    )

    assert login["tokenAuth"] == {
        "__typename": "OperationInfo",
        "messages": [{"code": "INVALID_CREDENTIALS", "field": None}],
    }
    assert register["register"]["__typename"] == "OperationInfo"
    assert {"code": "PASSWORD_TOO_SHORT", "field": "password"} in register["register"]["messages"]
    await communicator.disconnect()


async def test_permission_refusals_are_data_over_the_socket_too(customer):
    communicator, _ = await connect(None)

    data = await run(communicator, "mutation { logout { __typename ... on OperationInfo { messages { code } } } }")

    assert data["logout"] == {"__typename": "OperationInfo", "messages": [{"code": "UNAUTHENTICATED"}]}
    await communicator.disconnect()


@pytest.mark.parametrize("revoke", ["deactivate", "change_password"])
async def test_revoking_a_users_tokens_closes_their_open_connections(token, customer, revoke):
    from asgiref.sync import sync_to_async

    from accounts import services
    from infra.connections import CLOSE_CODE

    communicator, answer = await connect({"authorization": f"JWT {token}"})
    assert json.loads(answer["text"]) == {"type": "connection_ack"}

    if revoke == "deactivate":
        await sync_to_async(services.account_deactivate)(user=customer, password=DEFAULT_PASSWORD)
    else:
        await sync_to_async(services.password_change)(
            user=customer, old_password=DEFAULT_PASSWORD, new_password="another-Strong-pass-42"
        )

    closed = await communicator.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_CODE)


# A connection lives no longer than its credentials: its access token's expiry,
# and its login session (the refresh family the token belongs to).


async def assert_closed_as_revoked(communicator: WebsocketCommunicator, *, timeout: float = 10) -> None:
    from infra.connections import CLOSE_CODE

    closed = await communicator.receive_output(timeout=timeout)
    assert (closed["type"], closed["code"]) == ("websocket.close", CLOSE_CODE)


async def authenticated(token: str) -> WebsocketCommunicator:
    communicator, answer = await connect({"authorization": f"JWT {token}"})
    assert json.loads(answer["text"]) == {"type": "connection_ack"}
    return communicator


@pytest.fixture
def two_sessions(customer):
    """Two logins of the same customer: two refresh families."""
    return token_pair_issue(user=customer), token_pair_issue(user=customer)


async def test_a_connection_closes_when_its_access_token_expires(customer, settings):
    from datetime import timedelta

    from asgiref.sync import sync_to_async

    settings.JWT_ACCESS_TTL = timedelta(seconds=5)
    short_lived = (await sync_to_async(token_pair_issue)(user=customer)).token
    communicator = await authenticated(short_lived)
    assert (await run_me(communicator))["me"]["email"] == "customer@example.com"

    await assert_closed_as_revoked(communicator, timeout=60)


async def test_logout_closes_that_sessions_connections_and_no_others(gql, two_sessions):
    from asgiref.sync import sync_to_async

    this, other = two_sessions
    this_socket, other_socket = await authenticated(this.token), await authenticated(other.token)

    await sync_to_async(gql)("mutation { logout { __typename } }", token=this.token)

    await assert_closed_as_revoked(this_socket)
    assert await other_socket.receive_nothing(timeout=0.5)
    assert (await run_me(other_socket))["me"]["email"] == "customer@example.com"
    await other_socket.disconnect()


async def test_revoke_token_closes_the_sessions_connections(gql, two_sessions):
    from asgiref.sync import sync_to_async

    this, other = two_sessions
    this_socket, other_socket = await authenticated(this.token), await authenticated(other.token)

    data = await sync_to_async(gql)(
        "mutation($r: String!) { revokeToken(refreshToken: $r) { __typename } }", {"r": this.refresh_token}
    )

    assert data == {"revokeToken": {"__typename": "RevokePayload"}}
    await assert_closed_as_revoked(this_socket)
    assert (await run_me(other_socket))["me"]["email"] == "customer@example.com"
    await other_socket.disconnect()


async def test_refresh_token_reuse_closes_the_sessions_connections(gql, two_sessions):
    """A replayed refresh token revokes its family: sockets opened with tokens of
    that login close, including one opened with the access token issued by the rotation."""
    from asgiref.sync import sync_to_async

    this, _ = two_sessions
    refresh = "mutation($r: String!) { refreshToken(refreshToken: $r) { __typename ... on TokenPayload { token } } }"
    rotated = (await sync_to_async(gql)(refresh, {"r": this.refresh_token}))["refreshToken"]["token"]
    old_socket, rotated_socket = await authenticated(this.token), await authenticated(rotated)

    replay = await sync_to_async(gql)(refresh, {"r": this.refresh_token})

    assert replay["refreshToken"]["__typename"] == "OperationInfo"
    await assert_closed_as_revoked(old_socket)
    await assert_closed_as_revoked(rotated_socket)
