from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

SKU_MAX_LENGTH = 64


def default_currency() -> str:
    return settings.CURRENCY


class Category(models.Model):
    """A group of products, addressed by its slug."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive categories and their products are hidden.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        indexes = [models.Index(fields=["created_at"], name="category_created")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something the store sells, addressed by its slug."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=default_currency)
    stock_quantity = models.IntegerField(
        default=0, help_text="Units available to sell: the sum over the variants, written only by catalog/stock.py."
    )
    options = models.JSONField(
        default=list,
        blank=True,
        help_text='The options variants choose from: [{"name": "Size", "values": ["S", "M"]}].',
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(default=True)
    # Set when a category deactivation switched the product off, so that
    # reactivating the category restores exactly those products.
    deactivated_with_category = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Soft deletion time.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Full-text document: name (weight A), category name (B), description (C).
    # Written only by PostgreSQL triggers (migration 0015), on every insert, on a
    # change of name, description or category, and on a category rename; unused
    # on SQLite, where search falls back to `icontains`.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=Decimal("0")), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="product_stock_not_negative"),
        ]
        indexes = [
            models.Index(fields=["is_active", "category"], name="product_active_category"),
            models.Index(fields=["price"], name="product_price"),
            models.Index(fields=["name"], name="product_name"),
            models.Index(fields=["-created_at", "-id"], name="product_newest"),
            # Search (commerce.catalog.search). No pending list: the catalog is read far
            # more than written, and every search would scan that list until a vacuum.
            GinIndex(fields=["search_vector"], name="product_search_vector", fastupdate=False),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="product_name_trgm", fastupdate=False),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0


class ProductVariant(models.Model):
    """One buyable version of a product (e.g. size M), with its own SKU, stock and optionally price.

    A product without options has exactly one variant, its default, whose `options` are empty.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=SKU_MAX_LENGTH, unique=True)
    name = models.CharField(
        max_length=200, blank=True, help_text='The option values, e.g. "M / Red"; empty for a default.'
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Empty: the product's price."
    )
    stock_quantity = models.IntegerField(default=0, help_text="Units available to sell.")
    options = models.JSONField(default=dict, blank=True, help_text='Option name to value: {"Size": "M"}.')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=Decimal("0")), name="variant_price_not_negative"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="variant_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku

    @property
    def in_stock(self) -> bool:
        return self.stock_quantity > 0

    @property
    def unit_price(self) -> Decimal:
        """The variant's own price, else its product's."""
        return self.product.price if self.price is None else self.price


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500)
    alt = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.url


class StockMovement(models.Model):
    """One change of a variant's stock: who, by how much, why, and when."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_movements")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.SET_NULL, related_name="stock_movements"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_app = models.ForeignKey(
        "partners.App",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The partner app that made the change, when an app made it.",
    )
    delta = models.IntegerField()
    quantity_after = models.IntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d}"
