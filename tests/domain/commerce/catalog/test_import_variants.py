"""`import_products` with options and variants: per-variant stock and price,
upsert by SKU, re-runs that change nothing, and rows refused as a whole."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from commerce.models import Product, ProductVariant, StockMovement

pytestmark = pytest.mark.django_db

PRODUCT = """query ($slug: String!) { product(slug: $slug) {
  stockQuantity options { name values } variants { sku name price stockQuantity options { name value } } } }"""
TEE = {
    "name": "Trail T-shirt",
    "price": "30.00",
    "category": "Clothes",
    "options": [{"name": "Size", "values": ["S", "M"]}],
    "variants": [
        {"sku": "TT-S", "options": {"Size": "S"}, "stock_quantity": 4},
        {"sku": "TT-M", "options": {"Size": "M"}, "price": "32.00", "stock_quantity": 1},
    ],
}


SIZE_S, SIZE_M = {"name": "Size", "value": "S"}, {"name": "Size", "value": "M"}


def run(tmp_path: Path, products: list) -> tuple[str, str]:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"products": products}))
    out, err = StringIO(), StringIO()
    call_command("import_products", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_variants_with_their_stock_and_a_rerun_changes_nothing(gql, tmp_path):
    out, err = run(tmp_path, [TEE, {"name": "Mug", "price": "8.00", "category": "Clothes", "stock_quantity": 3}])
    assert "products: 2 created" in out and err == ""
    tee = gql(PRODUCT, {"slug": "trail-t-shirt"})["product"]
    assert tee == {
        "stockQuantity": 5,
        "options": [{"name": "Size", "values": ["S", "M"]}],
        "variants": [
            {"sku": "TT-S", "name": "S", "price": "30.00", "stockQuantity": 4, "options": [SIZE_S]},
            {"sku": "TT-M", "name": "M", "price": "32.00", "stockQuantity": 1, "options": [SIZE_M]},
        ],
    }
    mug = gql(PRODUCT, {"slug": "mug"})["product"]
    assert mug["variants"] == [{"sku": "mug", "name": "", "price": "8.00", "stockQuantity": 3, "options": []}]
    assert StockMovement.objects.filter(reason="import").count() == 3

    out, _ = run(tmp_path, [TEE, {"name": "Mug", "price": "8.00", "category": "Clothes", "stock_quantity": 3}])
    assert "products: 0 created, 0 updated, 2 unchanged" in out
    assert StockMovement.objects.count() == 3


def test_import_updates_variant_stock_by_sku(tmp_path):
    run(tmp_path, [TEE])
    changed = TEE | {"variants": [TEE["variants"][0] | {"stock_quantity": 9}, TEE["variants"][1]]}
    out, _ = run(tmp_path, [changed])
    assert "products: 0 created, 1 updated" in out
    assert ProductVariant.objects.get(sku="TT-S").stock_quantity == 9
    assert Product.objects.get().stock_quantity == 10
    movement = StockMovement.objects.filter(variant__sku="TT-S").order_by("-id").first()
    assert (movement.delta, movement.quantity_after, movement.reason) == (5, 9, "import")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (TEE | {"variants": [{"sku": "TT-X", "options": {"Size": "XL"}}]}, "is not a value of Size"),
        (TEE | {"variants": [{"sku": "TT-X", "options": {"Colour": "Red"}}]}, "has no option Colour"),
        (TEE | {"stock_quantity": 3}, "give the stock of each variant"),
        (
            {"name": "Mug", "price": "8.00", "category": "Clothes", "variants": [{"sku": "M-1", "options": {}}]},
            "already has",
        ),
    ],
)
def test_a_bad_variant_refuses_the_whole_row(tmp_path, row, reason):
    _, err = run(tmp_path, [row])
    assert "product row 0" in err and reason in err
    assert not Product.objects.exists() and not ProductVariant.objects.exists()
