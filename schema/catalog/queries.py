from collections.abc import Iterable

import strawberry
import strawberry_django

from commerce.catalog import selectors
from commerce.models import Category, Product
from schema.connection import Connection
from schema.context import Info

from .types import CategoryType, ProductType


@strawberry.type
class CatalogQueries:
    @strawberry_django.connection(
        Connection[CategoryType],
        description="Categories by name; the public sees active ones, staff all (filter `isActive`).",
    )
    def categories(self, info: Info) -> Iterable[Category]:
        return selectors.category_list(principal=info.context.principal)

    @strawberry_django.field(
        graphql_type=CategoryType | None,
        description="The category with this slug; null if there is none you may see.",
    )
    def category(self, info: Info, slug: str) -> Category | None:
        return selectors.category_by_slug(principal=info.context.principal, slug=slug)

    @strawberry_django.connection(
        Connection[ProductType],
        description="Products, newest first unless ordered. The public sees active products of active "
        "categories; staff see everything (filters `isActive`, `isDeleted`).",
    )
    def products(self, info: Info) -> Iterable[Product]:
        return selectors.product_list(principal=info.context.principal)

    @strawberry_django.field(
        graphql_type=ProductType | None,
        description="The product with this slug; null if there is none you may see.",
    )
    def product(self, info: Info, slug: str) -> Product | None:
        return selectors.product_by_slug(principal=info.context.principal, slug=slug)
