from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Prefetch, Q, QuerySet
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from commerce.catalog.search import product_search
from commerce.catalog.selectors import images_prefetch, product_images
from commerce.models import Category, Product, ProductImage, ProductVariant
from schema.enums import Availability
from schema.loaded_fields import returns_prefetched_list


@strawberry_django.filter_type(Category)
class CategoryFilter:
    is_active: auto


@strawberry_django.order_type(Category)
class CategoryOrder:
    name: auto
    created_at: auto


@strawberry_django.type(
    Category,
    name="Category",
    filters=CategoryFilter,
    ordering=CategoryOrder,
    description="A group of products, addressed by its slug.",
)
class CategoryType(relay.Node):
    """A group of products, addressed by its slug."""

    name: auto
    slug: auto = strawberry_django.field(description="Unique, generated from the name; stays when renamed.")
    description: auto
    is_active: auto
    created_at: auto


@strawberry_django.type(ProductImage, name="ProductImage", description="A picture of a product.")
class ProductImageType:
    """A picture of a product."""

    url: auto
    alt: auto = strawberry_django.field(description="Text alternative for the picture.")


@strawberry.type(description="An option a product's variants choose from, e.g. Size with S, M and L.")
class ProductOption:
    name: str
    values: list[str] = strawberry.field(description="The values, in display order.")


@strawberry.type(description="The value a variant has for one option, e.g. Size M.")
class VariantOptionValue:
    name: str
    value: str


@strawberry_django.type(
    ProductVariant,
    name="ProductVariant",
    description="One buyable version of a product (e.g. size M): its own SKU, stock and optionally price.",
)
class ProductVariantType(relay.Node):
    """One buyable version of a product (e.g. size M): its own SKU, stock and optionally price."""

    sku: auto = strawberry_django.field(description="Unique across the catalog.")
    name: auto = strawberry_django.field(description='The option values, e.g. "M / Red"; empty for a default variant.')
    stock_quantity: auto
    in_stock: bool = strawberry_django.field(only=["stock_quantity"], description="Whether any unit is in stock.")

    @strawberry_django.field(
        description="The variant's own price when it has one, else the product's.",
        only=["price", "product__price"],
        select_related=["product"],
    )
    def price(self, root: ProductVariant) -> Decimal:
        return root.unit_price

    @strawberry_django.field(description="Its value of each of the product's options, in the product's order.")
    def options(self, root: ProductVariant) -> list[VariantOptionValue]:
        return [VariantOptionValue(name=name, value=value) for name, value in root.options.items()]


def variants_prefetch() -> Prefetch:
    """A product's variants in creation order (one query for any number of products)."""
    return Prefetch("variants", queryset=ProductVariant.objects.order_by("pk"))


@strawberry_django.filter_type(Product)
class ProductFilter:
    is_active: auto = strawberry_django.filter_field(
        description="Staff: active or inactive products (the public only ever sees active ones)."
    )

    @strawberry_django.filter_field(
        description="Words in the name, category or description, typos forgiven; results by relevance "
        "unless `ordering` is given (PostgreSQL; on SQLite: the text inside the name, description or "
        "category name, any case)."
    )
    def search(self, value: str, queryset: QuerySet, prefix: str) -> tuple[QuerySet, Q]:
        return product_search(queryset, value, prefix=prefix)

    @strawberry_django.filter_field(description="The slug of the product's category.")
    def category(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}category__slug": value})

    @strawberry_django.filter_field(description="Price at least this.")
    def min_price(self, value: Decimal, prefix: str) -> Q:
        return Q(**{f"{prefix}price__gte": value})

    @strawberry_django.filter_field(description="Price at most this.")
    def max_price(self, value: Decimal, prefix: str) -> Q:
        return Q(**{f"{prefix}price__lte": value})

    @strawberry_django.filter_field(description="True: only products with stock; false: only sold-out ones.")
    def in_stock(self, value: bool, prefix: str) -> Q:
        lookup = Q(**{f"{prefix}stock_quantity__gt": 0})
        return lookup if value else ~lookup

    @strawberry_django.filter_field(description="Staff: true lists only deleted products, false hides them.")
    def is_deleted(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}deleted_at__isnull": not value})


@strawberry_django.order_type(Product)
class ProductOrder:
    price: auto
    name: auto
    created_at: auto


@strawberry_django.type(
    Product,
    name="Product",
    filters=ProductFilter,
    ordering=ProductOrder,
    description="Something the store sells, addressed by its slug.",
)
class ProductType(relay.Node):
    """Something the store sells, addressed by its slug."""

    name: auto
    slug: auto = strawberry_django.field(description="Unique, generated from the name (`-2`, `-3` for repeats).")
    description: auto
    price: auto
    currency: auto
    stock_quantity: auto = strawberry_django.field(description="Units available: the sum over the variants.")
    in_stock: bool = strawberry_django.field(only=["stock_quantity"], description="Whether any variant is in stock.")
    is_active: auto
    category: CategoryType
    created_at: auto
    deleted_at: auto = strawberry_django.field(description="When staff deleted it (staff only ever see this set).")

    # A resolver reading the prefetched list: strawberry-django's own relation field
    # rebuilds a filtered queryset for each product even when the rows are prefetched.
    @strawberry_django.field(
        graphql_type=list[ProductImageType],
        description="Pictures of the product, in display order.",
        prefetch_related=[images_prefetch()],
    )
    @returns_prefetched_list
    def images(self, root: Product) -> list[ProductImage]:
        return product_images(root)

    @strawberry_django.field(
        description="The options its variants choose from; empty for a product with one default variant.",
        only=["options"],
    )
    def options(self, root: Product) -> list[ProductOption]:
        return [ProductOption(name=option["name"], values=list(option["values"])) for option in root.options]

    @strawberry_django.field(
        graphql_type=list[ProductVariantType],
        description="The buyable versions, oldest first; exactly one (the default) for a product without options.",
        prefetch_related=[variants_prefetch()],
        only=["price"],  # a variant without its own price shows the product's
    )
    def variants(self, root: Product) -> list[ProductVariant]:
        return list(root.variants.all())


@strawberry.type(description="The category a staff operation created or changed.")
class CategoryPayload:
    category: Category = strawberry.field(graphql_type=CategoryType)


CategoryResult = Annotated[CategoryPayload | OperationInfo, strawberry.union("CategoryResult")]


@strawberry.type(description="The product a staff operation created or changed.")
class ProductPayload:
    product: Product = strawberry.field(graphql_type=ProductType)


ProductResult = Annotated[ProductPayload | OperationInfo, strawberry.union("ProductResult")]


@strawberry.type(description="The variant a staff operation created or changed, and its product.")
class ProductVariantPayload:
    variant: ProductVariant = strawberry.field(graphql_type=ProductVariantType)
    product: Product = strawberry.field(graphql_type=ProductType)


ProductVariantResult = Annotated[ProductVariantPayload | OperationInfo, strawberry.union("ProductVariantResult")]


@strawberry.type(description="The product after a stock adjustment.")
class StockPayload:
    product: Product = strawberry.field(graphql_type=ProductType)


StockResult = Annotated[StockPayload | OperationInfo, strawberry.union("StockResult")]


@strawberry.type(description="A product moved to another availability level (a committed stock change).")
class ProductAvailabilityEvent:
    product: Product = strawberry.field(graphql_type=ProductType)
    availability: Availability
    changed_at: datetime
