"""Read-only catalog queries, with the visibility rules in one place.

Anonymous callers and customers see active, not deleted products of active
categories; whoever `may_see_hidden_catalog` admits (staff) sees everything
(their `isActive` / `isDeleted` filters narrow it).
"""

import functools
import hashlib

from django.core.exceptions import FullResultSet
from django.db.models import Prefetch, QuerySet

from accounts.principal import Principal
from commerce.cache import cached, catalog_scope
from commerce.catalog.policy import may_see_hidden_catalog
from commerce.models import Category, Product, ProductImage


def visible_products(queryset: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """Products the public may see and buy."""
    queryset = Product.objects.all() if queryset is None else queryset
    return queryset.filter(is_active=True, deleted_at__isnull=True, category__is_active=True)


def product_is_available(product: Product) -> bool:
    """Whether a loaded product (with its category) may be seen and bought by the public."""
    return product.is_active and product.deleted_at is None and product.category.is_active


def category_list(*, principal: Principal) -> QuerySet[Category]:
    queryset = Category.objects.order_by("name")
    return queryset if may_see_hidden_catalog(principal) else queryset.filter(is_active=True)


def product_list(*, principal: Principal) -> QuerySet[Product]:
    if may_see_hidden_catalog(principal):
        return Product.objects.order_by("-created_at", "-id")
    return _public_product_list().all()


@functools.cache
def _public_product_list() -> QuerySet[Product]:
    # Never evaluated itself: each request gets a copy, which is cheaper than building the filters again.
    return visible_products(Product.objects.order_by("-created_at", "-id"))


def _rows_counted(queryset: QuerySet) -> tuple:
    """What the number of rows of a query depends on: for a plain query its model and its FROM
    and WHERE clauses (not the columns, ordering and related rows, which take most of compiling
    a whole statement); else the whole statement."""
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    if (
        query.distinct
        or query.is_sliced
        or query.combinator
        or query.extra_tables
        or query.group_by is not None
        or query.where.contains_aggregate
        or query.where.contains_over_clause
        or any(annotation.contains_aggregate for annotation in query.annotations.values())
    ):
        return compiler.as_sql()
    from_clause, from_params = compiler.get_from_clause()
    try:
        where, where_params = compiler.compile(query.where)
    except FullResultSet:
        where, where_params = "", []
    return queryset.model._meta.label, from_clause, from_params, where, where_params


def catalog_list_count(queryset: QuerySet) -> int:
    """The number of rows of a product or category list, cached per catalog version and query."""
    digest = hashlib.sha256(repr(_rows_counted(queryset)).encode()).hexdigest()[:32]
    return cached(f"count:{digest}", (catalog_scope(),), queryset.count)


def _slug_key(kind: str, slug: str) -> str:
    return f"{kind}:{hashlib.sha256(slug.encode()).hexdigest()[:32]}"


def category_by_slug(*, principal: Principal, slug: str) -> Category | None:
    """The category with this slug if the caller may see it (cached)."""
    category = cached(
        _slug_key("category", slug), (catalog_scope(),), lambda: Category.objects.filter(slug=slug).first()
    )
    if category is None or not (category.is_active or may_see_hidden_catalog(principal)):
        return None
    return category


_LOADED_IMAGES = "loaded_images"


def images_prefetch(lookup: str = "images") -> Prefetch:
    """Loads products' images in display order (one query for any number) as a plain list,
    `lookup` being the path to the images (e.g. `product__images` from a cart line)."""
    return Prefetch(lookup, queryset=ProductImage.objects.order_by("position", "id"), to_attr=_LOADED_IMAGES)


def product_images(product: Product) -> list[ProductImage]:
    """The product's images in display order (the model's ordering): the list `images_prefetch` loaded,
    else the related manager's (a plain `images` prefetch, e.g. a product cached before, or a query)."""
    loaded = product.__dict__.get(_LOADED_IMAGES)
    return loaded if loaded is not None else list(product.images.all())


def product_with_relations(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Products with their category and images loaded (two queries for any number);
    not the search document, which only the database reads."""
    return queryset.defer("search_vector").select_related("category").prefetch_related(images_prefetch())


def product_by_slug(*, principal: Principal, slug: str) -> Product | None:
    """The product with this slug, category and images loaded, if the caller may see it (cached)."""
    product = cached(
        _slug_key("product", slug),
        (catalog_scope(),),
        lambda: product_with_relations(Product.objects.filter(slug=slug)).first(),
    )
    if product is None or not (may_see_hidden_catalog(principal) or product_is_available(product)):
        return None
    return product
