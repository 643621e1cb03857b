"""Apps authenticate websocket connections in `connection_init`; losing access
closes their open connections at once (code 4403)."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.principal import Principal
from accounts.tokens import token_pair_issue
from fmcore.asgi import application
from infra.connections import CLOSE_CODE
from partners import services
from partners.models import AppScope
from tests.factories import gid

pytestmark = pytest.mark.django_db(transaction=True)

CURRENT_APP = "query { currentApp { name } me { email } }"


async def _connect(authorization: str | None) -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, _ = await communicator.connect()
    assert connected
    payload = {"authorization": authorization} if authorization else {}
    await communicator.send_json_to({"type": "connection_init", "payload": payload})
    return communicator, await communicator.receive_output(timeout=3)


async def _query(communicator: WebsocketCommunicator, query: str) -> dict:
    await communicator.send_json_to({"type": "subscribe", "id": "1", "payload": {"query": query}})
    message = json.loads((await communicator.receive_output(timeout=3))["text"])
    assert message["type"] == "next", message
    assert json.loads((await communicator.receive_output(timeout=3))["text"])["type"] == "complete"
    return message["payload"]["data"]


def _acked(output: dict) -> bool:
    return output["type"] == "websocket.send" and json.loads(output["text"])["type"] == "connection_ack"


@pytest.fixture
def app_and_token():
    return services.app_create(principal=Principal.system(), name="Live", scopes=[AppScope.ORDERS_READ])


async def test_an_app_connects_with_its_token(app_and_token):
    _, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    assert await _query(communicator, CURRENT_APP) == {"currentApp": {"name": "Live"}, "me": None}
    await communicator.disconnect()


@pytest.mark.parametrize("token", ["fmapp_forged", "nonsense"])
async def test_an_unknown_app_token_is_refused(app_and_token, token):
    communicator, output = await _connect(f"App {token}")
    assert (output["type"], output["code"]) == ("websocket.close", 4403), output
    await communicator.disconnect()


async def test_a_jwt_user_still_connects(make_user):
    user = await sync_to_async(make_user)("live@example.com")
    token = await sync_to_async(lambda: token_pair_issue(user=user).token)()
    communicator, output = await _connect(f"JWT {token}")
    assert _acked(output)
    assert await _query(communicator, CURRENT_APP) == {"currentApp": None, "me": {"email": "live@example.com"}}
    await communicator.disconnect()


async def _assert_closed(communicator: WebsocketCommunicator) -> None:
    output = await communicator.receive_output(timeout=3)
    assert output["type"] == "websocket.close"
    assert output["code"] == CLOSE_CODE
    await communicator.disconnect()


async def test_deactivating_the_app_closes_its_connection(app_and_token):
    app, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    await sync_to_async(services.app_update)(principal=Principal.system(), app_id=app.pk, is_active=False)
    await _assert_closed(communicator)
    # ...and it cannot come back.
    communicator, output = await _connect(f"App {token}")
    assert output["type"] == "websocket.close"
    await communicator.disconnect()


async def test_rotating_the_token_closes_connections_made_with_it(app_and_token):
    app, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    _, new_token = await sync_to_async(services.app_token_rotate)(principal=Principal.system(), app_id=app.pk)
    await _assert_closed(communicator)
    communicator, output = await _connect(f"App {new_token}")
    assert _acked(output)
    await communicator.disconnect()


async def test_removing_a_scope_or_deleting_the_app_closes_its_connection(app_and_token):
    app, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    await sync_to_async(services.app_update)(principal=Principal.system(), app_id=app.pk, scopes=[])
    await _assert_closed(communicator)

    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    await sync_to_async(services.app_delete)(principal=Principal.system(), app_id=app.pk)
    await _assert_closed(communicator)


async def test_a_rename_keeps_the_connection_open(app_and_token):
    app, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    await sync_to_async(services.app_update)(
        principal=Principal.system(), app_id=app.pk, name="Renamed", scopes=[AppScope.ORDERS_READ]
    )
    assert await communicator.receive_nothing(timeout=0.3)
    assert await _query(communicator, CURRENT_APP) == {"currentApp": {"name": "Live"}, "me": None}
    await communicator.disconnect()


async def test_deactivation_through_graphql_closes_the_connection(app_and_token, staff, client):

    app, token = app_and_token
    communicator, output = await _connect(f"App {token}")
    assert _acked(output)
    staff_token = await sync_to_async(lambda: token_pair_issue(user=staff).token)()
    query = "mutation($id: ID!) { updateApp(id: $id, input: {isActive: false}) { __typename } }"
    variables = {"id": gid("App", app.pk)}

    def post():
        return client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
            headers={"Authorization": f"JWT {staff_token}"},
        ).json()

    assert await sync_to_async(post)() == {"data": {"updateApp": {"__typename": "AppPayload"}}}
    await _assert_closed(communicator)
