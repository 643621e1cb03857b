"""The data migration 0014: products created before variants existed get their
default variant holding their stock, and what referred to the product (cart
lines, order lines, stock movements) now refers to that variant."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("commerce", "0012_vouchers_shipping")]
AFTER = [("commerce", "0014_default_variants")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_every_existing_product_gets_its_default_variant(old_schema):
    apps = old_schema
    Category = apps.get_model("commerce", "Category")
    Product = apps.get_model("commerce", "Product")
    User = apps.get_model("accounts", "User")
    category = Category.objects.create(name="Tea", slug="tea")
    sencha = Product.objects.create(
        name="Sencha", slug="sencha", price=Decimal("4.50"), stock_quantity=7, category=category
    )
    long_slug = "x" * 100
    other = Product.objects.create(
        name="Long", slug=long_slug, price=Decimal("1.00"), stock_quantity=0, category=category
    )
    user = User.objects.create(email="old@example.com")
    cart = apps.get_model("commerce", "Cart").objects.create(user=user)
    apps.get_model("commerce", "CartLine").objects.create(cart=cart, product=sencha, quantity=2)
    order = apps.get_model("commerce", "Order").objects.create(
        user=user, subtotal=Decimal("4.50"), tax=Decimal("0"), total=Decimal("4.50"), payment_method="COD"
    )
    apps.get_model("commerce", "OrderLine").objects.create(
        order=order, product=sencha, product_name="Sencha", unit_price=Decimal("4.50"), quantity=1,
        line_total=Decimal("4.50"),
    )  # fmt: skip
    apps.get_model("commerce", "StockMovement").objects.create(product=sencha, delta=7, quantity_after=7)

    apps = migrate(AFTER)

    Variant = apps.get_model("commerce", "ProductVariant")
    default = Variant.objects.get(product_id=sencha.pk)
    assert (default.sku, default.name, default.price, default.stock_quantity, default.options) == (
        "sencha", "", None, 7, {}
    )  # fmt: skip
    long_default = Variant.objects.get(product_id=other.pk)
    assert len(long_default.sku) <= 64 and long_default.sku.endswith(f"-{other.pk}")
    assert apps.get_model("commerce", "CartLine").objects.get().variant_id == default.pk
    line = apps.get_model("commerce", "OrderLine").objects.get()
    assert (line.variant_id, line.sku, line.variant_name) == (default.pk, "sencha", "")
    assert apps.get_model("commerce", "StockMovement").objects.get().variant_id == default.pk
