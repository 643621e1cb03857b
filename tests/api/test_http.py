"""GraphQL over HTTP: every refusal in one JSON error shape with a code, and
`application/graphql-response+json` beside `application/json`."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from fmcore.asgi import application

pytestmark = pytest.mark.django_db

GRAPHQL_RESPONSE = "application/graphql-response+json"
ME = "{ me { email } }"


def refusal(response, status: int) -> str:
    """The code of an HTTP refusal, checking its status and shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    assert set(error) == {"message", "extensions"} and error["message"]
    return error["extensions"]["code"]


@pytest.mark.parametrize("body", ["{not json", '{"query": "{ me { email } }"'])
def test_a_body_that_is_not_json_is_invalid_json(client, body):
    assert refusal(client.post("/graphql/", data=body, content_type="application/json"), 400) == "INVALID_JSON"


def test_bad_json_in_get_variables_is_invalid_json(client):
    response = client.get("/graphql/", {"query": ME, "variables": "{nope"}, headers={"Accept": "application/json"})
    assert refusal(response, 400) == "INVALID_JSON"


@pytest.mark.parametrize("content_type", ["application/graphql", "text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_application_json_is_unsupported_media_type(client, content_type):
    response = client.generic("POST", "/graphql/", data=ME.encode(), content_type=content_type)
    assert refusal(response, 415) == "UNSUPPORTED_MEDIA_TYPE"


def test_a_mutation_over_get_is_method_not_allowed(client):
    query = 'mutation { resendVerificationEmail(email: "a@b.c") { __typename } }'
    response = client.get("/graphql/", {"query": query}, headers={"Accept": "application/json"})
    assert refusal(response, 405) == "MUTATION_OVER_GET"
    assert response["Allow"] == "POST"


def test_a_batch_is_refused(client):
    batch = json.dumps([{"query": ME}, {"query": ME}])
    assert refusal(client.post("/graphql/", data=batch, content_type="application/json"), 400) == (
        "BATCHING_NOT_SUPPORTED"
    )


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_method_not_allowed(client, method):
    response = client.generic(method, "/graphql/", data=json.dumps({"query": ME}), content_type="application/json")
    assert refusal(response, 405) == "METHOD_NOT_ALLOWED"
    assert response["Allow"] == "GET, POST"


@pytest.mark.parametrize("body", [{"query": 1}, {"query": ME, "variables": [1]}, {"variables": {}}])
def test_malformed_parameters_are_invalid_requests(client, body):
    response = client.post("/graphql/", data=json.dumps(body), content_type="application/json")
    assert refusal(response, 400) == "INVALID_REQUEST"


def test_a_subscription_over_http_is_refused_with_its_code(client):
    body = json.dumps({"query": "subscription { orderStatusChanged { toStatus } }"})
    response = client.post("/graphql/", data=body, content_type="application/json")
    assert refusal(response, 400) == "SUBSCRIPTION_OVER_HTTP"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", f"application/json, {GRAPHQL_RESPONSE};q=0.5"])
def test_application_json_clients_see_200_with_null_data_for_request_errors(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.post(
        "/graphql/", data=json.dumps({"query": "{ nope }"}), content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9"])
def test_graphql_response_json_clients_get_4xx_for_request_errors(client, accept):
    for query, code in (("{ nope }", "GRAPHQL_VALIDATION_FAILED"), ("{ me { ", "GRAPHQL_PARSE_FAILED")):
        response = client.post(
            "/graphql/", data=json.dumps({"query": query}), content_type="application/json", headers={"Accept": accept}
        )
        assert response.status_code == 400
        assert response["Content-Type"] == GRAPHQL_RESPONSE
        body = response.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == code

    ok = client.post(
        "/graphql/", data=json.dumps({"query": ME}), content_type="application/json", headers={"Accept": accept}
    )
    assert ok.status_code == 200 and ok["Content-Type"] == GRAPHQL_RESPONSE
    assert ok.json() == {"data": {"me": None}}


def test_a_malformed_global_id_is_invalid_id(gql):
    literal = gql.error_codes('{ order(id: "not-a-global-id") { number } }')
    variable = gql.error_codes("query ($id: ID!) { order(id: $id) { number } }", {"id": "%%%"})
    assert literal == variable == ["INVALID_ID"]


@pytest.mark.django_db(transaction=True)
async def test_the_legacy_graphql_ws_subprotocol_is_refused_at_the_handshake():
    legacy = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-ws"])
    connected, _ = await legacy.connect()
    assert not connected

    current = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    connected, subprotocol = await current.connect()
    assert connected and subprotocol == "graphql-transport-ws"
    await current.disconnect()
