"""Text with control characters is refused at the boundary, in every argument.

Every place of every query and mutation argument that takes a string (String,
ID and the scalars written as strings), walked automatically, is given text
with a NUL byte (PostgreSQL text cannot hold it), once as a literal and once
in a variable: each is refused with INVALID_INPUT before any resolver runs,
never an INTERNAL_ERROR. New arguments are covered the moment they exist.
"""

import json

import pytest
from channels.testing import WebsocketCommunicator
from graphql import GraphQLCompositeType, get_named_type

from fmcore.asgi import application
from tests.api.walk import call, render, root_fields, text_variants
from tests.conftest import access_token

NUL_TEXT = "a\x00b"
OPERATIONS = [(kind, name) for kind in ("query", "mutation") for name in sorted(root_fields(kind))]


def _documents(kind: str, name: str):
    """(document, variables) pairs: one literal and one variable per text place."""
    field = root_fields(kind)[name]
    selection = " { __typename }" if isinstance(get_named_type(field.type), GraphQLCompositeType) else ""
    for arg_name, argument in field.args.items():
        for variant in text_variants(argument.type, NUL_TEXT):
            yield f"{kind} {{ {call(name, field.args, {arg_name: render(variant)})}{selection} }}", {}
            operation = call(name, field.args, {arg_name: "$value"})
            yield f"{kind}($value: {argument.type}) {{ {operation}{selection} }}", {"value": variant}


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "name"), OPERATIONS)
def test_nul_bytes_are_refused_in_every_text_argument(client, staff, kind, name):
    headers = {"Authorization": f"JWT {access_token(staff)}"}
    documents = list(_documents(kind, name))
    for document, variables in documents:
        body = {"query": document, "variables": variables}
        response = client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers)
        assert response.status_code == 200, (document, response.content)
        answer = response.json()
        codes = {e["extensions"]["code"] for e in answer["errors"]}
        # A literal of a scalar such as DateTime is also refused by its own parser.
        assert "INVALID_INPUT" in codes and "INTERNAL_ERROR" not in codes, (document, answer)
        assert answer.get("data") is None, document


def test_the_walk_reaches_text_arguments():
    """A guard for the walker itself: the schema does have text arguments for it to find."""
    counted = {(kind, name): sum(1 for _ in _documents(kind, name)) for kind, name in OPERATIONS}
    assert counted[("query", "product")] >= 2
    assert counted[("mutation", "tokenAuth")] >= 4
    assert counted[("mutation", "updateProfile")] >= 2
    assert sum(counted.values()) > 100


@pytest.mark.django_db
@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f", "\x85"])
def test_other_control_characters_are_refused(client, character):
    query = "query($slug: String!) { product(slug: $slug) { name } }"
    body = {"query": query, "variables": {"slug": f"shoe{character}"}}
    answer = client.post("/graphql/", data=json.dumps(body), content_type="application/json").json()
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["INVALID_INPUT"]


@pytest.mark.django_db
def test_tabs_and_line_breaks_are_text(client, staff):
    headers = {"Authorization": f"JWT {access_token(staff)}"}
    query = 'mutation($d: String!) { createCategory(input: {name: "Tabs", description: $d}) { __typename } }'
    body = {"query": query, "variables": {"d": "one\ttwo\nthree\r\nfour"}}
    answer = client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers).json()
    assert "errors" not in answer, answer
    assert answer["data"]["createCategory"]["__typename"] == "CategoryPayload"


@pytest.mark.django_db(transaction=True)
async def test_websocket_operations_are_walked_the_same_way():
    communicator = WebsocketCommunicator(application, "/graphql/", subprotocols=["graphql-transport-ws"])
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"type": "connection_init"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "connection_ack"
    subscription = "subscription($id: ID) { orderStatusChanged(orderId: $id) { toStatus } }"
    payload = {"query": subscription, "variables": {"id": NUL_TEXT}}
    await communicator.send_json_to({"id": "1", "type": "subscribe", "payload": payload})
    answer = await communicator.receive_json_from(timeout=5)
    assert answer["type"] == "error", answer
    assert [error["extensions"]["code"] for error in answer["payload"]] == ["INVALID_INPUT"]
    await communicator.disconnect()
