"""A revoked login (`sid`, one refresh family) revokes its access tokens too:
refused on every HTTP request and every websocket connect from the moment of
revocation, not when they expire; at no extra query per request."""

import json
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from fmcore.asgi import application
from tests.api.accounts.operations import (
    CHANGE_PASSWORD,
    DEACTIVATE,
    LOGOUT,
    ME,
    REFRESH,
    REQUEST_RESET,
    RESET_PASSWORD,
    REVOKE,
)
from tests.conftest import DEFAULT_PASSWORD, codes
from tests.factories import gid

pytestmark = pytest.mark.django_db(transaction=True)

SET_USER_ACTIVE = "mutation($id: ID!) { setUserActive(userId: $id, active: false) { __typename } }"


async def _websocket_answer(token: str) -> dict:
    """The answer to a `connection_init` carrying `token`."""
    communicator = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "connection_init", "payload": {"authorization": f"JWT {token}"}})
    answer = await communicator.receive_output(timeout=10)
    await communicator.disconnect()
    return answer


def websocket_accepts(token: str) -> bool:
    answer = async_to_sync(_websocket_answer)(token)
    if answer["type"] == "websocket.close":
        assert answer["code"] == 4403, answer
        return False
    assert json.loads(answer["text"]) == {"type": "connection_ack"}, answer
    return True


def http_accepts(gql, token: str) -> bool:
    body = gql.post(ME, token=token).json()
    if "errors" in body:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_TOKEN"], body
        return False
    assert body["data"]["me"]["email"] == "customer@example.com"
    return True


def _reuse(gql, session: dict, **_) -> list[str]:
    rotated = gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]
    assert http_accepts(gql, rotated["token"])
    replay = gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]
    assert codes(replay) == ["INVALID_TOKEN"]
    return [session["token"], rotated["token"]]


def _revoke_token(gql, session: dict, **_) -> list[str]:
    assert gql(REVOKE, {"refreshToken": session["refreshToken"]})["revokeToken"]["__typename"] == "RevokePayload"
    return [session["token"]]


def _logout(gql, session: dict, **_) -> list[str]:
    assert gql(LOGOUT, token=session["token"])["logout"]["__typename"] == "OkPayload"
    return [session["token"]]


def _change_password(gql, session: dict, **_) -> list[str]:
    variables = {"oldPassword": DEFAULT_PASSWORD, "newPassword": "brand-New-secret-77"}
    assert gql(CHANGE_PASSWORD, variables, token=session["token"])["changePassword"]["__typename"] == "OkPayload"
    return [session["token"]]


def _reset_password(gql, session: dict, run_tasks, link_token, **_) -> list[str]:
    gql(REQUEST_RESET, {"email": "customer@example.com"})
    run_tasks()
    token = link_token("customer@example.com", "reset-password")
    reset = gql(RESET_PASSWORD, {"token": token, "newPassword": "brand-New-secret-77"})["resetPassword"]
    assert reset["__typename"] == "OkPayload"
    return [session["token"]]


def _deactivate(gql, session: dict, **_) -> list[str]:
    payload = gql(DEACTIVATE, {"password": DEFAULT_PASSWORD}, token=session["token"])["deactivateAccount"]
    assert payload["__typename"] == "OkPayload"
    return [session["token"]]


def _deactivate_by_staff(gql, session: dict, customer, staff, **_) -> list[str]:

    variables = {"id": gid("User", customer.pk)}
    assert gql(SET_USER_ACTIVE, variables, user=staff)["setUserActive"]["__typename"] == "UserPayload"
    return [session["token"]]


# How a login ends, and whether the user's other logins end with it.
REVOCATIONS: dict[str, tuple[Callable[..., list[str]], bool]] = {
    "refresh-token-reuse": (_reuse, False),
    "revokeToken": (_revoke_token, False),
    "logout": (_logout, False),
    "changePassword": (_change_password, True),
    "resetPassword": (_reset_password, True),
    "deactivateAccount": (_deactivate, True),
    "setUserActive-false": (_deactivate_by_staff, True),
}


@pytest.mark.parametrize("how", REVOCATIONS)
def test_the_access_tokens_of_a_revoked_login_are_refused_over_http_and_websockets(
    how, customer, staff, login, gql, run_tasks, link_token
):
    revoke, ends_every_login = REVOCATIONS[how]
    session, other = login("customer@example.com"), login("customer@example.com")
    assert http_accepts(gql, session["token"]) and websocket_accepts(session["token"])

    dead = revoke(gql, session, run_tasks=run_tasks, link_token=link_token, customer=customer, staff=staff)

    for token in dead:
        assert not http_accepts(gql, token), "refused from the moment of revocation, not at expiry"
        assert not websocket_accepts(token)
    assert http_accepts(gql, other["token"]) is not ends_every_login
    assert websocket_accepts(other["token"]) is not ends_every_login


def test_checking_the_login_costs_no_extra_query(customer, login, gql, django_assert_num_queries):
    session = login("customer@example.com")
    rotated = gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]

    # One query reads the caller: user, token version and revoked login together.
    with django_assert_num_queries(1):
        assert http_accepts(gql, rotated["token"])
