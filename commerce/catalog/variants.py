"""Variant writes (staff, and partner apps with catalog:write): create, change, delete.

A variant's stock changes only through catalog/stock.py; every write
invalidates the catalog cache on commit.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.principal import Principal
from commerce.cache import catalog_cache_invalidate
from commerce.catalog import policy
from commerce.catalog.options import check_choice_free, choice_name, clean_choice, clean_sku
from commerce.catalog.stock import stock_change
from commerce.errors import AlreadyExists
from commerce.models import Product, ProductVariant
from infra.errors import InvalidInput, NotFound, PermissionDenied

from .services import clean_price, clean_stock


def _product_for_update(product_id: int) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id, deleted_at__isnull=True).first()
    if product is None:
        raise NotFound("No such product.", field="productId")
    return product


def _variant_for_update(variant_id: int) -> ProductVariant:
    """The variant with its product locked, product first (the one lock order)."""
    product_id = ProductVariant.objects.filter(pk=variant_id).values_list("product_id", flat=True).first()
    if product_id is None:
        raise NotFound("No such variant.")
    product = _product_for_update(product_id)
    variant = ProductVariant.objects.select_for_update().filter(pk=variant_id, product=product).first()
    if variant is None:
        raise NotFound("No such variant.")
    variant.product = product
    return variant


def _check_sku_free(sku: str, *, exclude_pk: int | None = None) -> None:
    taken = ProductVariant.objects.filter(sku=sku)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise AlreadyExists(f"The SKU {sku} is taken.", field="sku")


def _save(variant: ProductVariant, **kwargs) -> None:
    try:
        with transaction.atomic():
            variant.save(**kwargs)
    except IntegrityError as exc:
        # A concurrent writer took the SKU between the check and the write.
        raise AlreadyExists(f"The SKU {variant.sku} is taken.", field="sku") from exc


def variant_create(
    *,
    principal: Principal,
    product_id: int,
    sku: str,
    options: Sequence[tuple[str, str]],
    price: Decimal | None = None,
    stock_quantity: int = 0,
) -> ProductVariant:
    """Add a variant to a product with options: a free SKU (`ALREADY_EXISTS`), one
    value of each option (`UNKNOWN_OPTION`), a combination no other variant has
    (`ALREADY_EXISTS`); `price` empty means the product's price."""
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    sku = clean_sku(sku)
    price = None if price is None else clean_price(price)
    stock_quantity = clean_stock(stock_quantity)
    with transaction.atomic():
        product = _product_for_update(product_id)
        if not product.options:
            raise InvalidInput(
                f"{product.name} has no options, so only its default variant; give it options first.",
                field="productId",
            )
        choice = clean_choice(product, options)
        check_choice_free(product, choice)
        _check_sku_free(sku)
        variant = ProductVariant(product=product, sku=sku, name=choice_name(choice), price=price, options=choice)
        _save(variant, force_insert=True)
        if stock_quantity:
            stock_change(changes=[(variant.pk, stock_quantity)], reason="initial stock", actor=principal.actor)
            variant.refresh_from_db(fields=["stock_quantity"])
            product.refresh_from_db(fields=["stock_quantity"])
        catalog_cache_invalidate()
    return variant


def variant_update(
    *,
    principal: Principal,
    variant_id: int,
    sku: str | None = None,
    options: Sequence[tuple[str, str]] | None = None,
    price: Decimal | None = None,
    clear_price: bool = False,
    stock_quantity: int | None = None,
) -> ProductVariant:
    """Change the given fields of a variant; `clear_price` makes it sell at the product's price.

    `stock_quantity` sets the stock (recorded as a movement). The same checks as `variant_create`.
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        variant = _variant_for_update(variant_id)
        product = variant.product
        if sku is not None:
            variant.sku = clean_sku(sku)
            _check_sku_free(variant.sku, exclude_pk=variant.pk)
        if options is not None:
            choice = clean_choice(product, options)
            check_choice_free(product, choice, exclude_pk=variant.pk)
            variant.options, variant.name = choice, choice_name(choice)
        if clear_price:
            variant.price = None
        elif price is not None:
            variant.price = clean_price(price)
        _save(variant, update_fields=["sku", "options", "name", "price", "updated_at"])
        if stock_quantity is not None:
            delta = clean_stock(stock_quantity) - variant.stock_quantity
            stock_change(changes=[(variant.pk, delta)], reason="set by variant update", actor=principal.actor)
            variant.refresh_from_db(fields=["stock_quantity"])
            product.refresh_from_db(fields=["stock_quantity"])
        catalog_cache_invalidate()
    return variant


def variant_delete(*, principal: Principal, variant_id: int) -> Product:
    """Delete a variant: its cart lines go, order lines keep their frozen SKU and name
    (their `variant` becomes null). A product keeps at least one variant."""
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    with transaction.atomic():
        variant = _variant_for_update(variant_id)
        product = variant.product
        if not ProductVariant.objects.filter(product=product).exclude(pk=variant.pk).exists():
            raise InvalidInput("A product keeps at least one variant; delete the product instead.", field="id")
        if variant.stock_quantity:
            # Through the one writer, so the product's total and availability follow.
            stock_change(
                changes=[(variant.pk, -variant.stock_quantity)], reason="variant deleted", actor=principal.actor
            )
        variant.delete()
        product.refresh_from_db(fields=["stock_quantity"])
        catalog_cache_invalidate()
    return product
