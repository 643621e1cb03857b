"""`totalCount` is right on every page, whether the page shows it or a COUNT does."""

import pytest

from tests.factories import gid, make_category, make_product

pytestmark = pytest.mark.django_db

PAGE = """query ($first: Int, $after: String, $last: Int, $before: String) {
  products(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { endCursor } edges { node { name } }
  }
}"""
ONLY_TOTAL = "{ products(first: 2) { totalCount } }"
UPDATE = "mutation ($id: ID!) { updateProduct(id: $id, input: {isActive: false}) { __typename } }"


def test_total_count_on_every_page(gql):
    category = make_category()
    for _ in range(5):
        make_product(category=category)
    first = gql(PAGE, {"first": 2})["products"]
    second = gql(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]})["products"]
    third = gql(PAGE, {"first": 2, "after": second["pageInfo"]["endCursor"]})["products"]
    beyond = gql(PAGE, {"first": 2, "after": third["pageInfo"]["endCursor"]})["products"]
    tail = gql(PAGE, {"last": 2})["products"]
    before = gql(PAGE, {"last": 1, "before": third["pageInfo"]["endCursor"]})["products"]
    assert [len(page["edges"]) for page in (first, second, third, beyond, tail, before)] == [2, 2, 1, 0, 2, 1]
    assert {page["totalCount"] for page in (first, second, third, beyond, tail, before)} == {5}
    assert gql(ONLY_TOTAL)["products"]["totalCount"] == 5


def test_total_count_follows_catalog_writes(gql, staff):
    category = make_category()
    products = [make_product(category=category) for _ in range(3)]
    assert gql(ONLY_TOTAL, user=staff)["products"]["totalCount"] == 3
    assert gql(ONLY_TOTAL)["products"]["totalCount"] == 3
    gql(UPDATE, {"id": gid("Product", products[0].pk)}, user=staff)
    assert gql(ONLY_TOTAL)["products"]["totalCount"] == 2
    assert gql(ONLY_TOTAL, user=staff)["products"]["totalCount"] == 3
