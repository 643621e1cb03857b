"""Fields read straight from a loaded row (schema/loaded_fields.py) answer as their own resolvers would."""

import asyncio
import inspect

import pytest
import strawberry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql import GraphQLField, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, execute, parse

from commerce.catalog.selectors import images_prefetch
from commerce.models import Product, ProductImage
from schema import schema
from schema.catalog.types import CategoryType
from schema.loaded_fields import LoadedLeavesExecutor
from schema.loaded_fields import _resolver as _read_directly
from tests.factories import gid, make_product

pytestmark = pytest.mark.django_db


def _resolver(type_name: str, field_name: str):
    graphql_type = schema._schema.get_type(type_name)
    return graphql_type.fields[field_name].resolve  # type: ignore[union-attr]


def test_a_loaded_column_is_read_without_a_query():
    product = make_product("Lamp")
    loaded = Product.objects.get(pk=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _resolver("Product", "name")(loaded, None) == "Lamp"
        assert _resolver("Product", "inStock")(loaded, None) is (loaded.stock_quantity > 0)
        assert str(_resolver("Product", "id")(loaded, None)) == gid("Product", product.pk)
    assert len(queries) == 0


def test_a_deferred_column_is_loaded_by_the_field_s_own_resolver():
    product = make_product("Lamp", stock=0)
    deferred = Product.objects.only("pk").get(pk=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _resolver("Product", "name")(deferred, None) == "Lamp"
    assert len(queries) == 1
    deferred = Product.objects.only("pk").get(pk=product.pk)
    assert _resolver("Product", "inStock")(deferred, None) is False


def test_a_deferred_column_inside_an_event_loop_is_not_queried_on_the_loop():
    product = make_product("Lamp")
    deferred = Product.objects.only("pk").get(pk=product.pk)

    async def resolve():
        # The field's own resolver hands back an awaitable that queries in a thread.
        result = _resolver("Product", "name")(deferred, None)
        assert inspect.isawaitable(result)
        result.close()

    asyncio.run(resolve())


def test_a_relation_not_selected_is_loaded_by_the_field_s_own_resolver():
    product = make_product()
    loaded = Product.objects.get(pk=product.pk)
    assert _resolver("Product", "category")(loaded, None) == product.category


def test_prefetched_images_are_read_as_loaded_and_otherwise_by_their_resolver():
    product = make_product(images=3)
    ProductImage.objects.filter(product=product, position=0).update(position=5)
    expected = list(ProductImage.objects.filter(product=product).order_by("position", "id"))
    loaded = Product.objects.prefetch_related(images_prefetch()).get(pk=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _resolver("Product", "images")(loaded, None) == expected
    assert len(queries) == 0
    plain = Product.objects.get(pk=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _resolver("Product", "images")(plain, None) == expected
    assert len(queries) == 1


def test_a_row_is_of_its_model_s_type_unless_cast_to_another():
    product = make_product()
    is_product = schema._schema.get_type("Product").is_type_of  # type: ignore[union-attr]
    assert is_product(Product.objects.get(pk=product.pk), None) is True
    assert is_product(product.category, None) is False
    assert is_product(strawberry.cast(CategoryType, Product.objects.get(pk=product.pk)), None) is False


def test_a_scalar_read_as_null_or_not_coercible_is_reported_by_graphql_core():
    def read(row):
        return row["n"]

    def own_resolver(row, info):
        raise AssertionError("the reader had the value")

    n = GraphQLField(GraphQLNonNull(GraphQLInt))
    n.resolve = _read_directly(read, own_resolver, n)
    tiny = GraphQLSchema(GraphQLObjectType("Query", {"n": n}))

    def run(value):
        return execute(tiny, parse("{ n }"), root_value={"n": value}, executor_class=LoadedLeavesExecutor)

    assert run(3).data == {"n": 3}
    null = run(None)
    assert null.data is None
    assert null.errors[0].message == "Cannot return null for non-nullable field Query.n."
    assert null.errors[0].path == ["n"]
    wrong = run("three")
    assert wrong.errors[0].message == "Int cannot represent non-integer value: 'three'"
    assert wrong.errors[0].locations is not None


def test_images_prefetched_the_plain_way_are_read_without_a_query():
    product = make_product(images=2)
    expected = list(product.images.order_by("position", "id"))
    loaded = Product.objects.prefetch_related("images").get(pk=product.pk)
    with CaptureQueriesContext(connection) as queries:
        assert _resolver("Product", "images")(loaded, None) == expected
    assert len(queries) == 0
