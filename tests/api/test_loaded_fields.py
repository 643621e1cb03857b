"""Fields read straight from a loaded row (schema/loaded_fields.py) answer as their own resolvers would."""

import asyncio
import inspect
import json

import pytest
import strawberry
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from commerce.catalog.selectors import images_prefetch
from commerce.models import Product, ProductImage
from schema import Executor, Schema, schema
from schema.catalog.types import CategoryType
from schema.context import Context
from schema.customer_cache import CustomerAnswerCache
from schema.loaded_fields import LoadedFieldsExecutor
from schema.loaded_fields import _resolver as _read_directly
from schema.response_cache import AnonymousCatalogCache
from schema.scalars import SCALAR_OVERRIDES
from tests.factories import cart_fill, gid, make_category, make_product, order_place

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
    n.resolve = _read_directly(read, own_resolver)
    tiny = GraphQLSchema(GraphQLObjectType("Query", {"n": n}))

    def run(value):
        return execute(tiny, parse("{ n }"), root_value={"n": value}, executor_class=LoadedFieldsExecutor)

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


class EveryFieldThroughGraphQLCore(SchemaExtension):
    """A field hook: with field middleware the executor plans no field, so graphql-core completes them all."""

    def resolve(self, _next, root, info, *args, **kwargs):
        return _next(root, info, *args, **kwargs)


# The same schema answering the normal way (and without the answer caches, which would hand back the first answer).
reference = Schema(
    query=schema.query,
    mutation=schema.mutation,
    subscription=schema.subscription,
    config=schema.config,
    extensions=[
        *(
            extension
            for extension in schema.extensions
            if extension not in (AnonymousCatalogCache, CustomerAnswerCache)
        ),
        EveryFieldThroughGraphQLCore,
    ],
    scalar_overrides=SCALAR_OVERRIDES,
    execution_context_class=Executor,
)


def _answer(graphql_schema, document: str, variables: dict, user) -> tuple[str, int]:
    request = RequestFactory().post("/graphql/")
    request.user = user
    context = Context(request=request, response=HttpResponse(), user=user)
    with CaptureQueriesContext(connection) as queries:
        result = graphql_schema.execute_sync(document, variable_values=variables, context_value=context)
    errors = [error.formatted for error in result.errors or ()]
    return json.dumps({"data": result.data, "errors": errors}, cls=DjangoJSONEncoder), len(queries)


def _same_as_graphql_core(document: str, variables: dict, user) -> str:
    _answer(reference, document, variables, user)  # warms what is cached across requests (list counts)
    answer, queries = _answer(schema, document, variables, user)
    assert (answer, queries) == _answer(reference, document, variables, user)
    return answer


PRODUCT_FIELDS = """
fragment ProductFields on Product {
  __typename slug price inStock createdAt deletedAt
  ... on Node { id }
}"""

TRICKY_LIST = (
    """query ($first: Int!, $withImages: Boolean!, $skipCategory: Boolean!) {
  products(first: $first) {
    __typename count: totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges {
      cursor
      node {
        ...ProductFields
        title: name name
        category @skip(if: $skipCategory) { ... on Category { id slug } name __typename }
        category { description isActive }
        images @include(if: $withImages) { url alt __typename }
        firstImages: images { url }
      }
    }
  }
  empty: products(first: 0) { totalCount edges { node { id } } }
}"""
    + PRODUCT_FIELDS
)


@pytest.mark.parametrize("with_images,skip_category", [(True, False), (False, True)])
def test_a_list_read_from_loaded_rows_answers_as_graphql_core_does(customer, with_images, skip_category):
    category = make_category("Lamps")
    for n in range(3):
        make_product(f"Lamp {n}", category=category, images=n, stock=n)
    variables = {"first": 2, "withImages": with_images, "skipCategory": skip_category}
    answer = _same_as_graphql_core(TRICKY_LIST, variables, customer)
    assert '"title": "Lamp 2"' in answer and '"deletedAt": null' in answer
    assert ('"alt"' in answer) is with_images and ('"slug": "category-' in answer) is not skip_category


def test_a_product_with_variants_and_nulls_answers_as_graphql_core_does(staff):
    product = make_product("Shirt", images=1)
    Product.objects.filter(pk=product.pk).update(deleted_at=timezone.now(), description="")
    document = (
        """query ($slug: String!, $missing: String!) {
  product(slug: $slug) {
    ...ProductFields description stockQuantity isActive
    options { name values } variants { __typename id sku name stockQuantity inStock price options { name value } }
    images { url alt }
  }
  none: product(slug: $missing) { id }
  products(first: 5, filters: {isDeleted: true}) { edges { node { ...ProductFields } } }
}"""
        + PRODUCT_FIELDS
    )
    answer = _same_as_graphql_core(document, {"slug": product.slug, "missing": "no-such-product"}, staff)
    assert '"none": null' in answer and '"deletedAt": "' in answer and '"sku": "' in answer


def test_cart_and_orders_answer_as_graphql_core_does(customer):
    lamp, shelf = make_product("Lamp", images=2), make_product("Shelf")
    order_place(customer, (lamp, 1), (shelf, 2))
    cart_fill(customer, (lamp, 3))
    document = """{
  cart { id itemCount subtotal total lines { id quantity unitPrice lineTotal product { id name images { url } } } }
  orders(first: 5) {
    totalCount
    edges { node { id number status total createdAt lines { productName unitPrice quantity lineTotal } } }
  }
}"""
    answer = _same_as_graphql_core(document, {}, customer)
    assert '"productName": "Shelf"' in answer and '"quantity": 3' in answer


def _planned_and_plain(document: str, root: dict) -> tuple:
    """The same document over plain rows, by the planning executor and by graphql-core's own."""
    tiny = _tiny_schema()
    answers = []
    for executor in (LoadedFieldsExecutor, StrawberryGraphQLCoreExecutionContext):
        result = execute(tiny, parse(document), root_value=root, executor_class=executor)
        answers.append((result.data, [error.formatted for error in result.errors or ()]))
    assert answers[0] == answers[1]
    return answers[0]


def _tiny_schema() -> GraphQLSchema:
    def read(name):
        def read_key(row):
            return row[name]

        return read_key

    def own_resolver(row, info, **kwargs):
        return row[info.field_name] if info.field_name in row else kwargs.get("size")

    def field(type_, name, **kwargs):
        graphql_field = GraphQLField(type_, **kwargs)
        graphql_field.resolve = _read_directly(read(name), own_resolver)
        return graphql_field

    item = GraphQLObjectType(
        "Item",
        lambda: {
            "n": field(GraphQLNonNull(GraphQLInt), "n"),
            "label": field(GraphQLString, "label"),
            "child": field(item, "child"),
            "sized": field(GraphQLInt, "sized", args={"size": GraphQLArgument(GraphQLInt)}),
        },
    )
    return GraphQLSchema(
        GraphQLObjectType(
            "Query",
            {
                "items": field(GraphQLList(item), "items"),
                "strict": field(GraphQLNonNull(GraphQLList(GraphQLNonNull(item))), "strict"),
            },
        )
    )


def test_nulls_and_wrong_values_deep_in_a_planned_list_are_reported_by_graphql_core():
    document = "{ items { n label child { n label } sized(size: 3) } strict { n } }"
    good = {"n": 1, "label": "a", "child": {"n": 2, "label": None}}
    data, errors = _planned_and_plain(document, {"items": [good, None, good], "strict": [good]})
    assert errors == [] and data["items"][1] is None and data["items"][0]["sized"] == 3
    data, errors = _planned_and_plain(
        document,
        {
            "items": [good, {"n": None, "label": "b", "child": None}, {**good, "child": {"n": "x", "label": 5}}],
            "strict": [None],
        },
    )
    assert data is None  # the null in `strict` nulls all of `data`
    assert [error["path"] for error in errors] == [["items", 1, "n"], ["items", 2, "child", "n"], ["strict", 0]]
