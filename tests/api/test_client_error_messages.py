"""Bad pagination arguments and bad variable values are answered for a person:
a code, and a message that says what to send instead, not a parser's internals."""

import base64
import json

import pytest

from tests.conftest import access_token


def post(client, query: str, variables: dict, **headers) -> dict:
    body = {"query": query, "variables": variables}
    response = client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor", ["x", "YQ", b64(b"\xff\xfe"), b64(b"arrayconnection:abc"), b64(b"Product:1"), b64(b"no colon")]
)
@pytest.mark.parametrize("argument", ["after", "before"])
def test_a_cursor_this_list_never_gave_out_is_explained(client, cursor, argument):
    body = post(client, f"query($c: String) {{ products({argument}: $c) {{ totalCount }} }}", {"c": cursor})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_PAGINATION"
    assert error["message"] == (
        "The cursor in 'after' or 'before' is not one this list gave out: use a cursor from its edges or pageInfo."
    )


@pytest.mark.django_db
def test_a_negative_page_keeps_its_message(client):
    [error] = post(client, "query($n: Int) { products(first: $n) { totalCount } }", {"n": -1})["errors"]
    assert error["extensions"]["code"] == "INVALID_PAGINATION"
    assert error["message"] == "Argument 'first' must be a non-negative integer."


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_decimals_that_are_not_numbers_are_refused(client, staff, amount):
    headers = {"Authorization": f"JWT {access_token(staff)}"}
    query = "query($f: ProductFilter) { products(filters: $f) { totalCount } }"
    [error] = post(client, query, {"f": {"minPrice": amount}}, **headers)["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert f'Value cannot represent a Decimal: "{amount}".' in error["message"]


@pytest.mark.django_db
def test_a_bad_datetime_says_which_format_to_use(client, staff):
    headers = {"Authorization": f"JWT {access_token(staff)}"}
    query = "query($f: OrderFilter) { orders(filters: $f) { totalCount } }"
    [error] = post(client, query, {"f": {"createdAfter": "99999-01-01"}}, **headers)["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"].endswith("Use ISO 8601, such as 2026-01-31T18:30:00Z.")
    assert "digits" not in error["message"]
