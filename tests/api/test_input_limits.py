"""Variables and literals are bounded like documents: long lists, deep nesting
and costly pages are refused with a code before any resolver runs."""

import json

import pytest

from tests.conftest import access_token

PRODUCTS_ORDERED = "query($o: [ProductOrder!]!) { products(ordering: $o) { totalCount } }"
PRODUCTS_FILTERED = "query($f: ProductFilter) { products(filters: $f) { totalCount } }"
MARK_READ = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { __typename } }"


def post(client, query: str, variables: dict | None = None, **headers):
    body = {"query": query, "variables": variables or {}}
    response = client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


def nested_filter(depth: int) -> dict:
    value: dict = {"search": "x"}
    for _ in range(depth):
        value = {"AND": value}
    return value


@pytest.mark.django_db
def test_a_long_ordering_variable_is_refused(client):
    body = post(client, PRODUCTS_ORDERED, {"o": [{"name": "ASC"}] * 20_000})
    assert codes(body) == ["LIST_TOO_LONG"]
    assert body.get("data") is None
    assert "at most 100" in body["errors"][0]["message"]
    assert codes(post(client, PRODUCTS_ORDERED, {"o": [{"name": "ASC"}] * 100})) == []


@pytest.mark.django_db
def test_a_long_id_list_is_refused_before_the_mutation_runs(client, customer):
    headers = {"Authorization": f"JWT {access_token(customer)}"}
    body = post(client, MARK_READ, {"ids": ["x"] * 40_000}, **headers)
    assert codes(body) == ["LIST_TOO_LONG"]
    assert body.get("data") is None


@pytest.mark.django_db
def test_a_long_list_literal_is_refused(client, settings):
    settings.GRAPHQL_MAX_LIST_LENGTH = 3
    ordering = ", ".join(["{name: ASC}"] * 4)
    body = post(client, f"{{ products(ordering: [{ordering}]) {{ totalCount }} }}")
    assert codes(body) == ["LIST_TOO_LONG"]
    assert body.get("data") is None


@pytest.mark.django_db
def test_deeply_nested_input_variables_are_refused_with_a_code(client):
    body = post(client, PRODUCTS_FILTERED, {"f": nested_filter(500)})
    assert codes(body) == ["INPUT_TOO_DEEP"]
    assert body.get("data") is None
    assert codes(post(client, PRODUCTS_FILTERED, {"f": nested_filter(5)})) == []


@pytest.mark.django_db
def test_deeply_nested_input_literals_are_refused(client, settings):
    settings.GRAPHQL_MAX_INPUT_DEPTH = 3
    literal = '{AND: {AND: {AND: {search: "x"}}}}'
    assert codes(post(client, f"{{ products(filters: {literal}) {{ totalCount }} }}")) == ["INPUT_TOO_DEEP"]


@pytest.mark.django_db
def test_variable_limits_hold_for_documents_the_validation_cache_holds(client):
    for _ in range(2):  # the second answer's validation comes from the cache
        assert codes(post(client, PRODUCTS_ORDERED, {"o": [{"name": "ASC"}]})) == []
    assert codes(post(client, PRODUCTS_ORDERED, {"o": [{"name": "ASC"}] * 101})) == ["LIST_TOO_LONG"]
    assert codes(post(client, PRODUCTS_FILTERED, {"f": nested_filter(1)})) == []
    assert codes(post(client, PRODUCTS_FILTERED, {"f": nested_filter(20)})) == ["INPUT_TOO_DEEP"]


@pytest.mark.django_db
def test_query_cost_follows_the_page_size_a_variable_asks_for(client, settings):
    settings.GRAPHQL_MAX_COST = 50
    query = "query($n: Int) { products(first: $n) { edges { node { name slug } } } }"
    assert codes(post(client, query, {"n": 5})) == []  # 1 + 5 * (edges + node + 2 fields)
    body = post(client, query, {"n": 100})
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert body.get("data") is None
    assert codes(post(client, query)) == ["QUERY_TOO_COSTLY"]  # no `first`: a full page


@pytest.mark.django_db
def test_query_cost_counts_aliases_and_fragments(client, settings):
    settings.GRAPHQL_MAX_COST = 100
    fragment = "fragment Names on ProductConnection { edges { node { name slug } } }"
    one = "products(first: 20) { ...Names }"  # 1 + 20 * 4 = 81
    assert codes(post(client, f"{{ {one} }} {fragment}")) == []
    assert codes(post(client, f"{{ a: {one} b: {one} }} {fragment}")) == ["QUERY_TOO_COSTLY"]
