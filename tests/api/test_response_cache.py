"""Anonymous catalog queries are answered from the cache until the catalog changes,
and nobody else ever gets a cached answer."""

import json

import pytest

from bench import operations
from tests.factories import gid, make_category, make_product

pytestmark = pytest.mark.django_db

PRICES = "{ products(first: 10) { edges { node { slug price isActive } } } }"
UPDATE_PRODUCT = """mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { ... on ProductPayload { product { price } } }
}"""


def slugs(data: dict) -> set[str]:
    return {edge["node"]["slug"] for edge in data["products"]["edges"]}


def test_a_repeated_anonymous_catalog_query_runs_no_sql(gql, django_assert_num_queries):
    make_product(images=2)
    first = gql(operations.PRODUCT_LIST, {"first": 20})
    with django_assert_num_queries(0):
        assert gql(operations.PRODUCT_LIST, {"first": 20}) == first
    with django_assert_num_queries(2):  # other variables: another answer
        assert gql(operations.PRODUCT_LIST, {"first": 1})["products"]["totalCount"] == 1


def test_a_catalog_write_is_seen_by_the_next_anonymous_read(gql, staff):
    lamp = make_product(slug="lamp", price="10.00")
    assert gql(PRICES)["products"]["edges"][0]["node"]["price"] == "10.00"
    gql(UPDATE_PRODUCT, {"id": gid("Product", lamp.pk), "input": {"price": "12.50"}}, user=staff)
    assert gql(PRICES)["products"]["edges"][0]["node"]["price"] == "12.50"
    detail = gql(operations.PRODUCT_DETAIL, {"slug": "lamp"})["product"]
    assert detail["price"] == "12.50"


def test_logged_in_callers_never_get_the_anonymous_answer(gql, staff, customer, django_assert_num_queries):
    category = make_category()
    make_product(slug="on-sale", category=category)
    make_product(slug="withdrawn", category=category, active=False)
    assert slugs(gql(PRICES)) == {"on-sale"}
    assert slugs(gql(PRICES, user=staff)) == {"on-sale", "withdrawn"}
    with django_assert_num_queries(2 + 1):  # the token, then the database: not the cache
        assert slugs(gql(PRICES, user=customer)) == {"on-sale"}
    assert slugs(gql(PRICES)) == {"on-sale"}


def test_queries_beyond_the_catalog_and_errors_are_not_cached(gql, client, django_assert_num_queries):
    product = make_product()
    # (A lone `totalCount` is served by the catalog's count cache: read the rows.)
    mixed = "{ products(first: 5) { edges { node { name } } } me { email } }"
    gql(mixed)
    with django_assert_num_queries(1):
        assert gql(mixed) == {"products": {"edges": [{"node": {"name": product.name}}]}, "me": None}
    too_many = json.dumps({"query": "{ products(first: 100000) { totalCount } }"})
    for _ in range(2):
        body = client.post("/graphql/", too_many, content_type="application/json").json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"
