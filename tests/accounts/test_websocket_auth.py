"""Websocket connections (graphql-transport-ws) authenticate in `connection_init`."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from accounts.tokens import token_pair_issue
from fmcore.asgi import application

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


async def run_me(communicator: WebsocketCommunicator) -> dict:
    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": {"query": ME_QUERY}})
    result = await communicator.receive_json_from(timeout=5)
    assert result["type"] == "next", result
    assert result["id"] == "1"
    assert "errors" not in result["payload"], result
    complete = await communicator.receive_json_from(timeout=5)
    assert complete == {"id": "1", "type": "complete"}
    return result["payload"]["data"]


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
