"""Bulk upsert of categories and products from JSON (`import_products`).

The format is documented in docs/import_products.md. Products are identified
by slug (given, or derived from the name), categories by name (any case).
Valid rows are written in one transaction; invalid rows are reported as
`row N` (N is the index in the `products` / `categories` list) and skipped.
"""

import contextlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from django.db import transaction
from django.utils.text import slugify

from accounts.principal import Principal
from commerce.cache import catalog_cache_invalidate
from commerce.catalog import policy
from commerce.models import Category, Product, ProductImage, ProductVariant
from infra.errors import DomainError, PermissionDenied

from .options import (
    OptionData,
    check_choice_free,
    choice_name,
    clean_choice,
    clean_options,
    clean_sku,
    variant_default_create,
    variants_refit,
)
from .services import ImageData, clean_images, clean_name, clean_price, clean_stock
from .stock import stock_change

HTTP_TIMEOUT_SECONDS = 10
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024


class ImportSourceError(Exception):
    """The source could not be read or is not the documented JSON shape."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    categories: Counts = field(default_factory=Counts)
    products: Counts = field(default_factory=Counts)
    errors: list[str] = field(default_factory=list)


def load_source(source: str, *, timeout: float = HTTP_TIMEOUT_SECONDS) -> Any:
    """The parsed JSON of a local file or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        try:
            with requests.get(source, timeout=timeout, stream=True) as response:
                response.raise_for_status()
                body = response.raw.read(MAX_DOWNLOAD_BYTES + 1, decode_content=True)
        except requests.RequestException as exc:
            raise ImportSourceError(f"could not download {source}: {exc}") from exc
        if len(body) > MAX_DOWNLOAD_BYTES:
            raise ImportSourceError(f"{source} is larger than {MAX_DOWNLOAD_BYTES} bytes")
    else:
        try:
            body = Path(source).read_bytes()
        except OSError as exc:
            raise ImportSourceError(f"could not read {source}: {exc.strerror}") from exc
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportSourceError(f"{source} is not valid JSON: {exc}") from exc


def _rows(data: Any) -> tuple[list, list]:
    if isinstance(data, list):
        return [], data
    if isinstance(data, dict):
        categories, products = data.get("categories", []), data.get("products", [])
        if isinstance(categories, list) and isinstance(products, list):
            return categories, products
    raise ImportSourceError('expected a list of products or {"categories": [...], "products": [...]}')


def _text(row: dict, key: str) -> str:
    value = row.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError(f"`{key}` must be a string")
    return value.strip()


def _bool(row: dict, key: str) -> bool:
    value = row.get(key, True)
    if not isinstance(value, bool):
        raise DomainError(f"`{key}` must be true or false")
    return value


class _Importer:
    def __init__(self, report: ImportReport):
        self.report = report
        self.categories = {c.name.lower(): c for c in Category.objects.all()}

    def category(
        self, name: str, description: str | None = None, is_active: bool | None = None, *, listed: bool = False
    ) -> Category:
        """Upsert a category by name (any case); `listed`: a row of the categories list, counted either way."""
        counts = self.report.categories
        category = self.categories.get(name.lower())
        if category is None:
            category = Category(
                name=name, description=description or "", is_active=True if is_active is None else is_active
            )
            base = slugify(name)[:130] or "category"
            slug, n = base, 1
            while Category.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            category.slug = slug
            category.save()
            self.categories[name.lower()] = category
            counts.created += 1
            return category
        changes: dict[str, str | bool] = {}
        if description is not None and description != category.description:
            changes["description"] = description
        if is_active is not None and is_active != category.is_active:
            changes["is_active"] = is_active
        if changes:
            for key, value in changes.items():
                setattr(category, key, value)
            category.save()
            counts.updated += 1
        elif listed:
            counts.unchanged += 1
        return category

    def category_row(self, row: Any) -> None:
        if not isinstance(row, dict):
            raise DomainError("expected an object")
        name = clean_name(row.get("name"), max_length=120)
        description = _text(row, "description") if "description" in row else None
        is_active = _bool(row, "is_active") if "is_active" in row else None
        self.category(name, description, is_active, listed=True)

    def product_row(self, row: Any, seen: set[str]) -> None:
        if not isinstance(row, dict):
            raise DomainError("expected an object")
        name = clean_name(row.get("name"))
        slug = slugify(_text(row, "slug") or name)[:220]
        if not slug:
            raise DomainError("`slug` (or a name that gives one) is required")
        if slug in seen:
            raise DomainError(f"the slug `{slug}` appears earlier in the file")
        price = clean_price(row.get("price"))
        options = _options(row)
        variant_rows = _variant_rows(row)
        if variant_rows is not None and "stock_quantity" in row:
            raise DomainError("give the stock of each variant, not `stock_quantity`", field="stock_quantity")
        stock = clean_stock(row.get("stock_quantity", 0))
        raw_images = row.get("images", [])
        if not isinstance(raw_images, list) or not all(isinstance(i, dict) for i in raw_images):
            raise DomainError("`images` must be a list of {url, alt}")
        images = clean_images([ImageData(url=str(i.get("url") or ""), alt=str(i.get("alt") or "")) for i in raw_images])
        category_name = clean_name(row.get("category"), field="category", max_length=120)
        fields = {
            "name": name,
            "description": _text(row, "description"),
            "price": price,
            "is_active": _bool(row, "is_active"),
        }
        product = Product.objects.filter(slug=slug).first()
        if product is not None and product.deleted_at is not None:
            raise DomainError(f"the product `{slug}` was deleted; it is not imported again")
        seen.add(slug)
        category = self.category(category_name)
        counts = self.report.products
        if product is None:
            product = Product.objects.create(slug=slug, category=category, options=options or [], **fields)
            ProductImage.objects.bulk_create(
                ProductImage(product=product, url=i.url, alt=i.alt, position=n) for n, i in enumerate(images)
            )
            if not product.options:
                variant_default_create(product)
            self.stock(product, stock, variant_rows)
            counts.created += 1
            return
        changed: dict[str, Any] = {k: v for k, v in fields.items() if getattr(product, k) != v}
        if product.category_id != category.pk:
            changed["category"] = category
        old_images = [(i.url, i.alt) for i in product.images.order_by("position", "id")]
        images_changed = old_images != [(i.url, i.alt) for i in images]
        options_changed = options is not None and options != product.options
        for key, value in changed.items():
            setattr(product, key, value)
        if "is_active" in changed:
            product.deactivated_with_category = False
        if options is not None and options_changed:
            variants_refit(product, options)
        if changed or options_changed:
            product.save()
        if images_changed:
            product.images.all().delete()
            ProductImage.objects.bulk_create(
                ProductImage(product=product, url=i.url, alt=i.alt, position=n) for n, i in enumerate(images)
            )
        stock_moved = self.stock(product, stock, variant_rows)
        if changed or images_changed or options_changed or stock_moved:
            counts.updated += 1
        else:
            counts.unchanged += 1

    def stock(self, product: Product, stock: int, variant_rows: "list[_VariantRow] | None") -> bool:
        """Upsert the row's variants (by SKU) and set their stock; whether anything changed."""
        if variant_rows is None:
            variants = list(ProductVariant.objects.filter(product=product).order_by("pk")[:2])
            if len(variants) != 1:
                raise DomainError("the product has several variants: give `variants` with their stock")
            return _set_stock(product, [(variants[0], stock)])
        changed = False
        targets = []
        for variant_row in variant_rows:
            choice = clean_choice(product, variant_row.options)
            variant = ProductVariant.objects.filter(sku=variant_row.sku).first()
            if variant is not None and variant.product_id != product.pk:
                raise DomainError(f"the SKU `{variant_row.sku}` belongs to another product", field="sku")
            if variant is None:
                check_choice_free(product, choice)
                variant = ProductVariant.objects.create(
                    product=product,
                    sku=variant_row.sku,
                    name=choice_name(choice),
                    options=choice,
                    price=variant_row.price,
                )
                changed = True
            elif (variant.options, variant.price) != (choice, variant_row.price):
                check_choice_free(product, choice, exclude_pk=variant.pk)
                variant.options, variant.name, variant.price = choice, choice_name(choice), variant_row.price
                variant.save(update_fields=["options", "name", "price", "updated_at"])
                changed = True
            targets.append((variant, variant_row.stock_quantity))
        return _set_stock(product, targets) or changed


@dataclass(frozen=True)
class _VariantRow:
    sku: str
    options: list[tuple[str, str]]
    price: Decimal | None
    stock_quantity: int


def _options(row: dict) -> list[dict] | None:
    if "options" not in row:
        return None
    raw = row["options"]
    if not isinstance(raw, list) or not all(isinstance(o, dict) and isinstance(o.get("values"), list) for o in raw):
        raise DomainError('`options` must be a list of {"name": ..., "values": [...]}', field="options")
    return clean_options([OptionData(name=str(o.get("name") or ""), values=[str(v) for v in o["values"]]) for o in raw])


def _variant_rows(row: dict) -> list[_VariantRow] | None:
    if "variants" not in row:
        return None
    raw = row["variants"]
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise DomainError("`variants` must be a list of objects", field="variants")
    rows = []
    for variant in raw:
        choice = variant.get("options", {})
        if not isinstance(choice, dict):
            raise DomainError('a variant\'s `options` must be an object like {"Size": "M"}', field="variants")
        price = variant.get("price")
        rows.append(
            _VariantRow(
                sku=clean_sku(variant.get("sku")),
                options=[(str(k), str(v)) for k, v in choice.items()],
                price=None if price is None else clean_price(price),
                stock_quantity=clean_stock(variant.get("stock_quantity", 0)),
            )
        )
    if len({r.sku for r in rows}) != len(rows):
        raise DomainError("a SKU appears twice in `variants`", field="variants")
    return rows


def _set_stock(product: Product, targets: list[tuple[ProductVariant, int]]) -> bool:
    """Set variants' stock through the one stock writer; whether any changed."""
    changes = [(variant.pk, quantity - variant.stock_quantity) for variant, quantity in targets]
    changes = [(pk, delta) for pk, delta in changes if delta]
    if changes:
        stock_change(changes=changes, reason="import")
    return bool(changes)


class _Rejected(Exception):
    """Rolls the whole import back in strict mode."""


def catalog_import(*, principal: Principal, data: Any, strict: bool = False) -> ImportReport:
    """Upsert the categories and products of `data` in one transaction.

    Invalid rows are skipped and reported; with `strict`, any invalid row
    rolls everything back (the report still lists the errors). Re-running the
    same data changes nothing (every row counts as unchanged).
    Raises `ImportSourceError` when `data` is not the documented shape.
    """
    if not policy.may_write_catalog(principal):
        raise PermissionDenied()
    category_rows, product_rows = _rows(data)
    report = ImportReport()
    with contextlib.suppress(_Rejected):
        _import(category_rows, product_rows, report, strict=strict)
    return report


def _import(category_rows: list, product_rows: list, report: ImportReport, *, strict: bool) -> None:
    with transaction.atomic():
        importer = _Importer(report)
        for kind, rows, counts in (
            ("category", category_rows, report.categories),
            ("product", product_rows, report.products),
        ):
            seen: set[str] = set()
            for index, row in enumerate(rows):
                try:
                    with transaction.atomic():
                        if kind == "category":
                            importer.category_row(row)
                        else:
                            importer.product_row(row, seen)
                except DomainError as error:
                    counts.skipped += 1
                    field_note = f" ({error.field})" if error.field else ""
                    report.errors.append(f"{kind} row {index}{field_note}: {error.message}")
                    # The savepoint rolled back; forget categories it may have created.
                    importer.categories = {c.name.lower(): c for c in Category.objects.all()}
        if strict and report.errors:
            raise _Rejected()
        catalog_cache_invalidate()
