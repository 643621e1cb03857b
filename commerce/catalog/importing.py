"""Bulk upsert of categories and products from JSON (`import_products`).

The format is documented in docs/import_products.md. Products are identified
by slug (given, or derived from the name), categories by name (any case).
Valid rows are written in one transaction; invalid rows are reported as
`row N` (N is the index in the `products` / `categories` list) and skipped.
"""

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.db import transaction
from django.utils.text import slugify

from commerce.cache import catalog_cache_invalidate
from commerce.models import Category, Product, ProductImage, StockMovement
from fmcore.errors import DomainError

from .services import ImageData, clean_images, clean_name, clean_price, clean_stock

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
        changes = {}
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
            "stock_quantity": stock,
            "is_active": _bool(row, "is_active"),
        }
        product = Product.objects.filter(slug=slug).first()
        if product is not None and product.deleted_at is not None:
            raise DomainError(f"the product `{slug}` was deleted; it is not imported again")
        seen.add(slug)
        category = self.category(category_name)
        counts = self.report.products
        if product is None:
            product = Product.objects.create(slug=slug, category=category, **fields)
            ProductImage.objects.bulk_create(
                ProductImage(product=product, url=i.url, alt=i.alt, position=n) for n, i in enumerate(images)
            )
            if stock:
                StockMovement.objects.create(product=product, delta=stock, quantity_after=stock, reason="import")
            counts.created += 1
            return
        changed = {k: v for k, v in fields.items() if getattr(product, k) != v}
        if product.category_id != category.pk:
            changed["category"] = category
        old_images = [(i.url, i.alt) for i in product.images.order_by("position", "id")]
        images_changed = old_images != [(i.url, i.alt) for i in images]
        if not changed and not images_changed:
            counts.unchanged += 1
            return
        stock_delta = stock - product.stock_quantity
        for key, value in changed.items():
            setattr(product, key, value)
        if "is_active" in changed:
            product.deactivated_with_category = False
        product.save()
        if images_changed:
            product.images.all().delete()
            ProductImage.objects.bulk_create(
                ProductImage(product=product, url=i.url, alt=i.alt, position=n) for n, i in enumerate(images)
            )
        if stock_delta:
            StockMovement.objects.create(product=product, delta=stock_delta, quantity_after=stock, reason="import")
        counts.updated += 1


class _Rejected(Exception):
    """Rolls the whole import back in strict mode."""


def catalog_import(*, data: Any, strict: bool = False) -> ImportReport:
    """Upsert the categories and products of `data` in one transaction.

    Invalid rows are skipped and reported; with `strict`, any invalid row
    rolls everything back (the report still lists the errors). Re-running the
    same data changes nothing (every row counts as unchanged).
    Raises `ImportSourceError` when `data` is not the documented shape.
    """
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
