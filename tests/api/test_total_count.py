"""`totalCount` is right on every page, whether the page shows it or a COUNT does."""

import pytest
from django.utils import timezone

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


FILTERED = """query ($filters: ProductFilter, $ordering: [ProductOrder!]!, $first: Int) {
  products(filters: $filters, ordering: $ordering, first: $first) { totalCount edges { node { name } } }
}"""
CATEGORIES = """query ($filters: CategoryFilter, $first: Int) {
  categories(filters: $filters, first: $first) { totalCount edges { node { name } } }
}"""


def test_cached_total_count_is_per_filter_and_caller(gql, staff):
    # totalCount of a first page that stops short of the end is a (cached) COUNT; one page
    # that holds the whole list shows the number it must be. Each filter in turn would
    # read the one before's cached count if the cache confused them.
    shoes, hats = make_category(name="Shoes", slug="shoes"), make_category(name="Hats", slug="hats")
    hidden = make_category(name="Hidden", slug="hidden", active=False)
    rows = [("5", 0, shoes), ("8", 3, shoes), ("12", 3, shoes), ("20", 0, hats), ("30", 1, hats)]
    for price, stock, category in rows:
        make_product(f"Boot {price}", price=price, stock=stock, category=category)
    make_product("Boot inactive", category=shoes, active=False)
    make_product("Boot of a hidden category", category=hidden)
    make_product("Boot deleted", category=hats, deleted_at=timezone.now())
    filters = [
        None,
        {"category": "shoes"},
        {"category": "hats"},
        {"minPrice": "8"},
        {"minPrice": "12"},
        {"maxPrice": "12", "inStock": True},
        {"inStock": False},
        {"NOT": {"inStock": False}},
        {"OR": {"category": "hats"}, "category": "shoes", "minPrice": "10"},
        {"search": "boot 1"},
        {"search": "boot 3"},
        {"DISTINCT": True, "category": "hats"},
        {"isActive": False},
        {"isDeleted": True},
    ]
    for user in (None, staff, None):
        for value in filters:
            for ordering in ([], [{"price": "DESC"}]):
                variables = {"filters": value, "ordering": ordering}
                whole = gql(FILTERED, {**variables, "first": 100}, user=user)["products"]
                page = gql(FILTERED, {**variables, "first": 1}, user=user)["products"]
                assert page["totalCount"] == whole["totalCount"] == len(whole["edges"]), (user, value, ordering)
    assert gql(CATEGORIES, {"first": 1})["categories"]["totalCount"] == 2
    assert gql(CATEGORIES, {"first": 1}, user=staff)["categories"]["totalCount"] == 3
    assert gql(CATEGORIES, {"first": 1, "filters": {"isActive": False}}, user=staff)["categories"]["totalCount"] == 1
