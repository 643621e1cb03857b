"""Every existing product gets its default variant (SKU derived from the slug)
holding the product's stock; cart lines, order lines and stock movements are
pointed at it, and order lines freeze its SKU. Then a cart line must name a variant.

Not atomic as a whole: on PostgreSQL a table whose rows were just updated
cannot be altered in the same transaction, so the data step commits first.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

SKU_LENGTH = 64


def default_sku(slug: str, pk: int, taken: set[str]) -> str:
    sku = slug if len(slug) <= SKU_LENGTH else f"{slug[: SKU_LENGTH - 12]}-{pk}"
    return sku if sku not in taken else f"{sku[: SKU_LENGTH - 12]}-{pk}"


def create_default_variants(apps, schema_editor):
    Product = apps.get_model("commerce", "Product")
    ProductVariant = apps.get_model("commerce", "ProductVariant")
    CartLine = apps.get_model("commerce", "CartLine")
    OrderLine = apps.get_model("commerce", "OrderLine")
    StockMovement = apps.get_model("commerce", "StockMovement")
    taken = set(ProductVariant.objects.values_list("sku", flat=True))
    with_variants = set(ProductVariant.objects.values_list("product_id", flat=True))
    variants = []
    for pk, slug, stock in Product.objects.order_by("pk").values_list("pk", "slug", "stock_quantity").iterator():
        if pk in with_variants:
            continue
        sku = default_sku(slug, pk, taken)
        taken.add(sku)
        variants.append(ProductVariant(product_id=pk, sku=sku, name="", stock_quantity=stock, options={}))
    ProductVariant.objects.bulk_create(variants, batch_size=1000)
    default = ProductVariant.objects.filter(product_id=OuterRef("product_id")).order_by("pk")
    CartLine.objects.filter(variant__isnull=True).update(variant_id=Subquery(default.values("pk")[:1]))
    OrderLine.objects.filter(variant__isnull=True, product__isnull=False).update(
        variant_id=Subquery(default.values("pk")[:1]), sku=Subquery(default.values("sku")[:1])
    )
    StockMovement.objects.filter(variant__isnull=True).update(variant_id=Subquery(default.values("pk")[:1]))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("commerce", "0013_product_variants")]

    operations = [
        migrations.RunPython(create_default_variants, migrations.RunPython.noop, atomic=True),
        migrations.AlterField(
            model_name="cartline",
            name="variant",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE, related_name="+", to="commerce.productvariant"
            ),
        ),
    ]
