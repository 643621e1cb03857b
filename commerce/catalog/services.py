"""Catalog writes (staff, and partner apps with catalog:write): categories, products, images and stock.

Every write invalidates the catalog cache on commit.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.principal import Principal
from commerce.cache import catalog_cache_invalidate
from commerce.catalog import policy
from commerce.catalog.options import OptionData, clean_options, variant_default_create, variants_refit
from commerce.catalog.stock import MAX_STOCK, stock_change
from commerce.errors import AlreadyExists, InvalidQuantity, VariantRequired
from commerce.models import Category, Product, ProductImage, ProductVariant
from infra.errors import InvalidInput, NotFound, PermissionDenied

MAX_PRICE = Decimal("9999999999.99")
MAX_IMAGES = 20
_SLUG_ATTEMPTS = 8

M = TypeVar("M", Category, Product)


@dataclass(frozen=True)
class ImageData:
    url: str
    alt: str = ""


# --- validation shared by the GraphQL services and the importer ---------------------


def clean_name(value: str | None, *, field: str = "name", max_length: int = 200) -> str:
    """`value` stripped; INVALID_INPUT on `field` when it is empty or longer than `max_length`.
    Names, and other required short texts such as a shipment's carrier and tracking number."""
    name = (value or "").strip()
    if not name:
        raise InvalidInput("This is required.", field=field)
    if len(name) > max_length:
        raise InvalidInput(f"At most {max_length} characters.", field=field)
    return name


def clean_price(value: Decimal | str | int | float | None) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput("The price must be a decimal amount, e.g. 19.99.", field="price") from exc
    if not price.is_finite():
        raise InvalidInput("The price must be a decimal amount, e.g. 19.99.", field="price")
    if price < 0:
        raise InvalidInput("The price cannot be negative.", field="price")
    exponent = price.as_tuple().exponent  # an int: the price is finite
    if isinstance(exponent, int) and exponent < -2 and price != price.quantize(Decimal("0.01")):
        raise InvalidInput("The price has at most two decimal places.", field="price")
    if price > MAX_PRICE:
        raise InvalidInput("The price is too large.", field="price")
    return price.quantize(Decimal("0.01"))


def clean_stock(value: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("The stock quantity must be a whole number.", field="stockQuantity")
    if value < 0:
        raise InvalidInput("The stock quantity cannot be negative.", field="stockQuantity")
    if value > MAX_STOCK:
        raise InvalidInput("The stock quantity is too large.", field="stockQuantity")
    return value


def clean_images(images: Sequence[ImageData]) -> list[ImageData]:
    if len(images) > MAX_IMAGES:
        raise InvalidInput(f"At most {MAX_IMAGES} images.", field="images")
    validate = URLValidator(schemes=["http", "https"])
    cleaned = []
    for image in images:
        url = (image.url or "").strip()
        try:
            validate(url)
        except ValidationError as exc:
            raise InvalidInput("Every image needs an http(s) URL.", field="images") from exc
        if len(url) > 500 or len(image.alt or "") > 200:
            raise InvalidInput("An image URL or alt text is too long.", field="images")
        cleaned.append(ImageData(url=url, alt=(image.alt or "").strip()))
    return cleaned


# --- slugs -------------------------------------------------------------------------


def _slug_candidates(model: type[M], name: str, max_length: int) -> list[str]:
    base = slugify(name)[: max_length - 8].strip("-") or str(model._meta.model_name)
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidates = [base] + [f"{base}-{n}" for n in range(2, len(taken) + _SLUG_ATTEMPTS + 2)]
    return [slug for slug in candidates if slug not in taken][:_SLUG_ATTEMPTS]


def _save_with_unique_slug(obj: M, name: str, on_conflict: Callable[[], None] | None = None) -> M:
    """Insert `obj` with a free slug derived from `name`; a concurrent writer taking
    the same slug makes us try the next one (the unique index is the arbiter)."""
    max_length = type(obj)._meta.get_field("slug").max_length
    assert max_length is not None  # both models declare it
    for slug in _slug_candidates(type(obj), name, max_length):
        obj.slug = slug
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            return obj
        except IntegrityError:
            if on_conflict:
                on_conflict()
            obj.pk = None
    raise AlreadyExists("Could not find a free slug for this name; try another name.", field="name")


# --- categories --------------------------------------------------------------------


def _check_category_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    taken = Category.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise AlreadyExists("A category with this name already exists.", field="name")


def _category_for_update(category_id: int) -> Category:
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise NotFound("No such category.")
    return category


def category_create(*, principal: Principal, name: str, description: str = "") -> Category:
    """Create an active category with a unique, generated slug."""
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    name = clean_name(name, max_length=120)
    with transaction.atomic():
        _check_category_name_free(name)
        category = Category(name=name, description=(description or "").strip())
        category = _save_with_unique_slug(category, name, on_conflict=lambda: _check_category_name_free(name))
        catalog_cache_invalidate()
    return category


def category_update(
    *, principal: Principal, category_id: int, name: str | None = None, description: str | None = None
) -> Category:
    """Rename or describe a category; its slug stays (links keep working)."""
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        category = _category_for_update(category_id)
        if name is not None:
            category.name = clean_name(name, max_length=120)
            _check_category_name_free(category.name, exclude_pk=category.pk)
        if description is not None:
            category.description = description.strip()
        try:
            with transaction.atomic():
                category.save()
        except IntegrityError as exc:
            raise AlreadyExists("A category with this name already exists.", field="name") from exc
        catalog_cache_invalidate()
    return category


def category_set_active(*, principal: Principal, category_id: int, active: bool) -> Category:
    """Switch a category on or off, and its products with it.

    Deactivating switches off the category's active products and marks them;
    reactivating switches on exactly the marked ones, so a product staff turned
    off separately stays off.
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        category = _category_for_update(category_id)
        products = Product.objects.filter(category=category, deleted_at__isnull=True)
        if not active:
            products.filter(is_active=True).update(
                is_active=False, deactivated_with_category=True, updated_at=timezone.now()
            )
        else:
            products.filter(deactivated_with_category=True).update(
                is_active=True, deactivated_with_category=False, updated_at=timezone.now()
            )
        if category.is_active != active:
            category.is_active = active
            category.save(update_fields=["is_active", "updated_at"])
        catalog_cache_invalidate()
    return category


# --- products ----------------------------------------------------------------------


def _product_for_update(product_id: int) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id, deleted_at__isnull=True).first()
    if product is None:
        raise NotFound("No such product.")
    return product


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise NotFound("No such category.", field="categoryId")
    return category


def _replace_images(product: Product, images: Sequence[ImageData]) -> None:
    product.images.all().delete()
    ProductImage.objects.bulk_create(
        ProductImage(product=product, url=image.url, alt=image.alt, position=position)
        for position, image in enumerate(images)
    )


def _only_variant(product: Product, *, field: str) -> ProductVariant:
    """The one variant of a product, for the product-level stock fields (`VARIANT_REQUIRED` with several)."""
    variants = list(ProductVariant.objects.filter(product=product).order_by("pk")[:2])
    if not variants:
        raise NotFound(f"{product.name} has no variants yet; create one first.", field=field)
    if len(variants) > 1:
        raise VariantRequired(f"{product.name} has several variants; change the stock of one of them.", field=field)
    return variants[0]


def _variant_of(product: Product, variant_id: int | None) -> ProductVariant:
    if variant_id is None:
        return _only_variant(product, field="variantId")
    variant = ProductVariant.objects.filter(pk=variant_id, product=product).first()
    if variant is None:
        raise NotFound("No such variant of this product.", field="variantId")
    return variant


def product_create(
    *,
    principal: Principal,
    name: str,
    price: Decimal,
    stock_quantity: int,
    category_id: int,
    description: str = "",
    images: Sequence[ImageData] = (),
    is_active: bool = True,
    options: Sequence[OptionData] = (),
) -> Product:
    """Create a product with a unique, generated slug (same names get `-2`, `-3`, ...).

    Without `options` it gets its default variant holding `stock_quantity`;
    with options it has no variant (and no stock) until staff create them.
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    name = clean_name(name)
    price = clean_price(price)
    stock_quantity = clean_stock(stock_quantity)
    images = clean_images(images)
    cleaned_options = clean_options(options)
    if cleaned_options and stock_quantity:
        raise InvalidInput("A product with options has stock per variant; create its variants.", field="stockQuantity")
    with transaction.atomic():
        category = _category(category_id)
        product = Product(
            name=name,
            description=(description or "").strip(),
            price=price,
            options=cleaned_options,
            category=category,
            is_active=is_active,
        )
        _save_with_unique_slug(product, name)
        _replace_images(product, images)
        if not cleaned_options:
            variant = variant_default_create(product)
            if stock_quantity:
                stock_change(changes=[(variant.pk, stock_quantity)], reason="initial stock", actor=principal.actor)
                product.stock_quantity = stock_quantity
        catalog_cache_invalidate()
    return product


def product_update(
    *,
    principal: Principal,
    product_id: int,
    name: str | None = None,
    description: str | None = None,
    price: Decimal | None = None,
    stock_quantity: int | None = None,
    category_id: int | None = None,
    images: Sequence[ImageData] | None = None,
    is_active: bool | None = None,
    options: Sequence[OptionData] | None = None,
) -> Product:
    """Change the given fields of a product; `images`, when given, replace the old ones.

    The slug stays. Setting `is_active` is a staff decision: the product no
    longer follows its category's reactivation. `stock_quantity` sets the
    stock of a product's one variant (`VARIANT_REQUIRED` with several);
    `options` replace the options and refit the variants (`variants_refit`).
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        product = _product_for_update(product_id)
        if name is not None:
            product.name = clean_name(name)
        if description is not None:
            product.description = description.strip()
        if price is not None:
            product.price = clean_price(price)
        if category_id is not None:
            product.category = _category(category_id)
        if is_active is not None:
            product.is_active = is_active
            product.deactivated_with_category = False
        if options is not None:
            variants_refit(product, clean_options(options))
        product.save()
        if images is not None:
            _replace_images(product, clean_images(images))
        if stock_quantity is not None:
            variant = _only_variant(product, field="stockQuantity")
            delta = clean_stock(stock_quantity) - variant.stock_quantity
            stock_change(changes=[(variant.pk, delta)], reason="set by product update", actor=principal.actor)
            product.refresh_from_db(fields=["stock_quantity"])
        catalog_cache_invalidate()
    return product


def product_delete(*, principal: Principal, product_id: int) -> Product:
    """Soft-delete a product: hidden everywhere, kept for order history."""
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        product = _product_for_update(product_id)
        product.deleted_at = timezone.now()
        product.is_active = False
        product.deactivated_with_category = False
        product.save(update_fields=["deleted_at", "is_active", "deactivated_with_category", "updated_at"])
        catalog_cache_invalidate()
    return product


def stock_adjust(
    *, principal: Principal, product_id: int, delta: int, variant_id: int | None = None, reason: str = ""
) -> Product:
    """Add (or with a negative `delta` remove) units of a variant's stock, recording who, why and when.

    Without `variant_id` the product must have one variant (`VARIANT_REQUIRED`).
    The stock never goes below zero (`OUT_OF_STOCK`, nothing changes).
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    if delta == 0:
        raise InvalidQuantity("The change must not be zero.", field="delta")
    with transaction.atomic():
        product = _product_for_update(product_id)
        variant = _variant_of(product, variant_id)
        stock_change(changes=[(variant.pk, delta)], reason=(reason or "").strip(), actor=principal.actor, field="delta")
        product.refresh_from_db(fields=["stock_quantity"])
    return product
