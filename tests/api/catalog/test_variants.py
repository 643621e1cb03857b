"""Variants through GraphQL: options, staff CRUD with its refusals, the default
variant that keeps product-level clients working, and stock per variant."""

import pytest

from commerce.models import Product, ProductVariant, StockMovement
from tests.conftest import codes
from tests.factories import gid, make_category, make_product

pytestmark = pytest.mark.django_db

CREATE_PRODUCT = """
mutation ($input: ProductInput!) {
  createProduct(input: $input) {
    ... on ProductPayload { product { id slug stockQuantity inStock options { name values }
                                      variants { id sku name price stockQuantity inStock options { name value } } } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
CREATE_VARIANT = """
mutation ($input: ProductVariantInput!) {
  createProductVariant(input: $input) {
    ... on ProductVariantPayload { variant { id sku name price stockQuantity inStock options { name value } }
                                   product { stockQuantity inStock } }
    ... on OperationInfo { messages { code field message } }
  }
}
"""
UPDATE_VARIANT = """
mutation ($id: ID!, $input: ProductVariantUpdateInput!) {
  updateProductVariant(id: $id, input: $input) {
    ... on ProductVariantPayload { variant { sku name price stockQuantity options { name value } }
                                   product { stockQuantity } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
DELETE_VARIANT = """
mutation ($id: ID!) {
  deleteProductVariant(id: $id) {
    ... on ProductPayload { product { stockQuantity variants { sku } } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
UPDATE_PRODUCT = """
mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) {
    ... on ProductPayload { product { stockQuantity options { name values } variants { sku name options { value } } } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
ADJUST_STOCK = """
mutation ($p: ID!, $v: ID, $d: Int!) {
  adjustStock(productId: $p, variantId: $v, delta: $d, reason: "count") {
    ... on StockPayload { product { stockQuantity variants { sku stockQuantity } } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
PRODUCT = """
query ($slug: String!) {
  product(slug: $slug) { stockQuantity inStock options { name values }
                         variants { sku name price stockQuantity inStock options { name value } } }
}
"""
SIZES = [{"name": "Size", "values": ["S", "M", "L"]}]


def product_input(category, **fields) -> dict:
    return {
        "name": "T-shirt",
        "price": "20.00",
        "stockQuantity": 0,
        "categoryId": gid("Category", category.pk),
    } | fields


@pytest.fixture
def tshirt(gql, staff) -> dict:
    """A T-shirt in S (3), M (5, at its own price 22.50) and L (0)."""
    data = gql(CREATE_PRODUCT, {"input": product_input(make_category(), options=SIZES)}, user=staff)
    product = data["createProduct"]["product"]
    variants = {}
    for size, stock, price in (("S", 3, None), ("M", 5, "22.50"), ("L", 0, None)):
        variant_input = {
            "productId": product["id"],
            "sku": f"TEE-{size}",
            "options": [{"name": "Size", "value": size}],
            "stockQuantity": stock,
            "price": price,
        }
        created = gql(CREATE_VARIANT, {"input": variant_input}, user=staff)["createProductVariant"]
        variants[size] = created["variant"]["id"]
    return {"id": product["id"], "slug": product["slug"], "variants": variants}


def test_a_product_without_options_has_one_default_variant_holding_its_stock(gql, staff):
    data = gql(CREATE_PRODUCT, {"input": product_input(make_category(), stockQuantity=7)}, user=staff)
    product = data["createProduct"]["product"]
    assert product["options"] == []
    assert product["stockQuantity"] == 7
    [variant] = product["variants"]
    assert variant | {"id": None} == {
        "id": None,
        "sku": product["slug"],
        "name": "",
        "price": "20.00",
        "stockQuantity": 7,
        "inStock": True,
        "options": [],
    }
    movement = StockMovement.objects.get()
    assert (movement.variant.sku, movement.delta, movement.quantity_after) == (product["slug"], 7, 7)


def test_variants_with_their_own_stock_and_price(gql, tshirt):
    product = gql(PRODUCT, {"slug": tshirt["slug"]})["product"]
    assert product["options"] == SIZES
    assert (product["stockQuantity"], product["inStock"]) == (8, True)  # the sum over the variants
    assert product["variants"] == [
        {"sku": "TEE-S", "name": "S", "price": "20.00", "stockQuantity": 3, "inStock": True,
         "options": [{"name": "Size", "value": "S"}]},
        {"sku": "TEE-M", "name": "M", "price": "22.50", "stockQuantity": 5, "inStock": True,
         "options": [{"name": "Size", "value": "M"}]},
        {"sku": "TEE-L", "name": "L", "price": "20.00", "stockQuantity": 0, "inStock": False,
         "options": [{"name": "Size", "value": "L"}]},
    ]  # fmt: skip


def test_a_product_with_options_takes_its_stock_per_variant(gql, staff):
    data = gql(CREATE_PRODUCT, {"input": product_input(make_category(), options=SIZES, stockQuantity=4)}, user=staff)
    assert codes(data["createProduct"]) == ["INVALID_INPUT"]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ([{"name": "Colour", "value": "Red"}], "UNKNOWN_OPTION"),  # no such option
        ([{"name": "Size", "value": "XXL"}], "UNKNOWN_OPTION"),  # no such value
        ([], "UNKNOWN_OPTION"),  # the size is missing
        ([{"name": "Size", "value": "S"}], "ALREADY_EXISTS"),  # S exists already
    ],
)
def test_variant_options_must_match_the_product(gql, staff, tshirt, options, code):
    variant_input = {"productId": tshirt["id"], "sku": "TEE-NEW", "options": options}
    data = gql(CREATE_VARIANT, {"input": variant_input}, user=staff)["createProductVariant"]
    assert codes(data) == [code]
    assert data["messages"][0]["field"] == "options"
    assert not ProductVariant.objects.filter(sku="TEE-NEW").exists()


def test_a_duplicate_sku_is_refused(gql, staff, tshirt):
    other = make_product()
    sku = other.variants.get().sku
    data = gql(UPDATE_PRODUCT, {"id": gid("Product", other.pk), "input": {"options": SIZES}}, user=staff)
    assert data["updateProduct"]["product"]["variants"] == [{"sku": sku, "name": "S", "options": [{"value": "S"}]}]
    variant_input = {"productId": gid("Product", other.pk), "sku": "TEE-M", "options": [{"name": "Size", "value": "M"}]}
    data = gql(CREATE_VARIANT, {"input": variant_input}, user=staff)["createProductVariant"]
    assert codes(data) == ["ALREADY_EXISTS"] and data["messages"][0]["field"] == "sku"
    assert ProductVariant.objects.filter(product=other).count() == 1


def test_a_product_without_options_keeps_its_one_variant(gql, staff):
    product = make_product()
    variant_input = {"productId": gid("Product", product.pk), "sku": "X-1", "options": [{"name": "Size", "value": "M"}]}
    data = gql(CREATE_VARIANT, {"input": variant_input}, user=staff)["createProductVariant"]
    assert codes(data) == ["INVALID_INPUT"]
    data = gql(DELETE_VARIANT, {"id": gid("ProductVariant", product.variants.get().pk)}, user=staff)
    assert codes(data["deleteProductVariant"]) == ["INVALID_INPUT"]
    assert product.variants.count() == 1


@pytest.mark.parametrize(("who", "code"), [("anonymous", "UNAUTHENTICATED"), ("customer", "PERMISSION_DENIED")])
def test_non_staff_cannot_write_variants_and_nothing_changes(gql, customer, tshirt, who, code):
    user = customer if who == "customer" else None
    variant_input = {"productId": tshirt["id"], "sku": "TEE-XL", "options": [{"name": "Size", "value": "L"}]}
    operations = [
        ("createProductVariant", CREATE_VARIANT, {"input": variant_input}),
        ("updateProductVariant", UPDATE_VARIANT, {"id": tshirt["variants"]["S"], "input": {"stockQuantity": 99}}),
        ("deleteProductVariant", DELETE_VARIANT, {"id": tshirt["variants"]["M"]}),
    ]
    for name, query, variables in operations:
        assert codes(gql(query, variables, user=user)[name]) == [code], name
    assert sorted(ProductVariant.objects.values_list("sku", "stock_quantity")) == [
        ("TEE-L", 0), ("TEE-M", 5), ("TEE-S", 3)
    ]  # fmt: skip


def test_update_a_variant_price_back_to_the_product_price_and_set_its_stock(gql, staff, tshirt):
    data = gql(
        UPDATE_VARIANT,
        {"id": tshirt["variants"]["M"], "input": {"price": None, "stockQuantity": 9, "sku": "TEE-MED"}},
        user=staff,
    )["updateProductVariant"]
    assert data["variant"] == {
        "sku": "TEE-MED", "name": "M", "price": "20.00", "stockQuantity": 9, "options": [{"name": "Size", "value": "M"}]
    }  # fmt: skip
    assert data["product"] == {"stockQuantity": 12}
    movement = StockMovement.objects.filter(variant__sku="TEE-MED").first()
    assert (movement.delta, movement.quantity_after, movement.actor) == (4, 9, staff)
    taken = gql(UPDATE_VARIANT, {"id": tshirt["variants"]["S"], "input": {"sku": "TEE-MED"}}, user=staff)
    assert codes(taken["updateProductVariant"]) == ["ALREADY_EXISTS"]


def test_deleting_a_variant_takes_its_stock_off_the_product(gql, staff, tshirt):
    data = gql(DELETE_VARIANT, {"id": tshirt["variants"]["M"]}, user=staff)["deleteProductVariant"]
    assert data["product"] == {"stockQuantity": 3, "variants": [{"sku": "TEE-S"}, {"sku": "TEE-L"}]}


def test_product_level_stock_needs_the_variant_when_there_are_several(gql, staff, tshirt):
    data = gql(ADJUST_STOCK, {"p": tshirt["id"], "d": 2}, user=staff)["adjustStock"]
    assert codes(data) == ["VARIANT_REQUIRED"]
    data = gql(UPDATE_PRODUCT, {"id": tshirt["id"], "input": {"stockQuantity": 1}}, user=staff)["updateProduct"]
    assert codes(data) == ["VARIANT_REQUIRED"]
    assert Product.objects.get().stock_quantity == 8

    data = gql(ADJUST_STOCK, {"p": tshirt["id"], "v": tshirt["variants"]["L"], "d": 2}, user=staff)["adjustStock"]
    assert data["product"]["stockQuantity"] == 10
    assert [v["stockQuantity"] for v in data["product"]["variants"]] == [3, 5, 2]
    data = gql(ADJUST_STOCK, {"p": tshirt["id"], "v": tshirt["variants"]["S"], "d": -4}, user=staff)["adjustStock"]
    assert codes(data) == ["OUT_OF_STOCK"]
    assert ProductVariant.objects.get(sku="TEE-S").stock_quantity == 3


def test_adjust_stock_of_a_one_variant_product_still_takes_only_the_product(gql, staff):
    product = make_product(stock=4)
    data = gql(ADJUST_STOCK, {"p": gid("Product", product.pk), "d": -1}, user=staff)["adjustStock"]
    assert data["product"] == {
        "stockQuantity": 3,
        "variants": [{"sku": product.variants.get().sku, "stockQuantity": 3}],
    }


def test_new_options_refit_the_variants(gql, staff, tshirt):
    colours = [*SIZES, {"name": "Colour", "values": ["Grey", "Navy"]}]
    data = gql(UPDATE_PRODUCT, {"id": tshirt["id"], "input": {"options": colours}}, user=staff)["updateProduct"]
    assert [v["name"] for v in data["product"]["variants"]] == ["S / Grey", "M / Grey", "L / Grey"]
    # Dropping a value a variant uses is refused, and nothing changes.
    fewer = [{"name": "Size", "values": ["S", "M"]}]
    data = gql(UPDATE_PRODUCT, {"id": tshirt["id"], "input": {"options": fewer}}, user=staff)["updateProduct"]
    assert codes(data) == ["INVALID_INPUT"]
    assert Product.objects.get().options == colours
