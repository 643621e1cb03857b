"""A browser app on FRONTEND_URL (default http://localhost:3000) can call a
development server (`make run`): CORS preflights, CSRF-checked cookie mode and
websocket handshakes from that origin are allowed. In production they are
allowed only from origins listed in CORS_ALLOWED_ORIGINS / CSRF_TRUSTED_ORIGINS."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from fmcore.management.commands.load_demo_data import DEMO_CUSTOMER_EMAIL
from tests.processes import RunningProcess, manage, running_server

FRONTEND = "http://localhost:3000"
OTHER = "http://elsewhere.example"
LOGIN = """mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p, cookie: true) {
  __typename } }"""
RENAME = 'mutation { updateProfile(input: {firstName: "Renamed"}) { __typename } }'


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("frontend") / "db.sqlite3"
    manage("migrate", "--noinput", sqlite=path)
    manage("load_demo_data", "--products", "1", sqlite=path)
    return path


@contextmanager
def server(database: Path, **env: str) -> Iterator[RunningProcess]:
    # Cookies over plain http in every mode, so that only the origin decides.
    with running_server(sqlite=database, JWT_COOKIE_SECURE="0", **env) as process:
        yield process


def preflight(server: RunningProcess, origin: str) -> requests.Response:
    return requests.options(
        f"{server.url}/graphql/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=30,
    )


def handshake_accepted(server: RunningProcess, origin: str) -> bool:
    """Whether a graphql-transport-ws connection from `origin` opens and is acknowledged."""
    url = server.url.replace("http://", "ws://") + "/graphql/"
    try:
        with connect(url, origin=origin, subprotocols=["graphql-transport-ws"], open_timeout=30) as socket:
            socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            return json.loads(socket.recv(timeout=30))["type"] == "connection_ack"
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


def cookie_mode_write(server: RunningProcess, origin: str) -> dict:
    """Log in in cookie mode and send a CSRF-protected mutation, as an SPA on `origin` would."""
    browser = requests.Session()
    browser.headers["Origin"] = origin
    url = f"{server.url}/graphql/"
    login = browser.post(
        url, json={"query": LOGIN, "variables": {"e": DEMO_CUSTOMER_EMAIL, "p": "fmcore-demo-customer"}}
    )
    assert login.json()["data"]["tokenAuth"]["__typename"] == "TokenPayload"
    return browser.post(url, json={"query": RENAME}, headers={"X-CSRFToken": browser.cookies["csrftoken"]}).json()


def test_in_debug_the_frontend_origin_may_call_the_api(database):
    with server(database, DEBUG="1") as api:
        response = preflight(api, FRONTEND)
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "authorization" in response.headers["Access-Control-Allow-Headers"]
        assert handshake_accepted(api, FRONTEND)
        assert cookie_mode_write(api, FRONTEND) == {"data": {"updateProfile": {"__typename": "UserPayload"}}}

        assert "Access-Control-Allow-Origin" not in preflight(api, OTHER).headers
        assert not handshake_accepted(api, OTHER)


def test_in_debug_the_origin_follows_frontend_url(database):
    with server(database, DEBUG="1", FRONTEND_URL="http://127.0.0.1:5173/shop/") as api:
        assert preflight(api, "http://127.0.0.1:5173").headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
        assert "Access-Control-Allow-Origin" not in preflight(api, FRONTEND).headers


def test_in_production_the_frontend_origin_is_refused_unless_listed(database):
    with server(database) as api:
        assert "Access-Control-Allow-Origin" not in preflight(api, FRONTEND).headers
        assert not handshake_accepted(api, FRONTEND)
        refused = cookie_mode_write(api, FRONTEND)
        assert refused["errors"][0]["extensions"]["code"] == "CSRF_FAILED"

    with server(database, CORS_ALLOWED_ORIGINS=FRONTEND, CSRF_TRUSTED_ORIGINS=FRONTEND) as api:
        assert preflight(api, FRONTEND).headers["Access-Control-Allow-Origin"] == FRONTEND
        assert handshake_accepted(api, FRONTEND)
        assert cookie_mode_write(api, FRONTEND) == {"data": {"updateProfile": {"__typename": "UserPayload"}}}
