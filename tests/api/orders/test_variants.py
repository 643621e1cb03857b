"""Variants from cart to order through GraphQL: choosing one, pricing it,
checkout decrementing that variant, the order freezing its SKU and name, and
cancellation giving its stock back once."""

from decimal import Decimal

import pytest

from accounts.principal import Principal
from commerce.catalog.options import OptionData
from commerce.catalog.services import product_create
from commerce.catalog.variants import variant_create, variant_delete
from commerce.models import Category, OrderLine, Product, ProductVariant, StockMovement
from tests.api.orders.operations import CANCEL
from tests.conftest import codes
from tests.factories import gid

pytestmark = pytest.mark.django_db

CART_FIELDS = "lines { quantity unitPrice lineTotal variant { sku name } product { name } } subtotal"
ADD = f"""
mutation ($p: ID, $v: ID, $q: Int) {{
  addToCart(productId: $p, variantId: $v, quantity: $q) {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field message }} }}
  }}
}}
"""
CHECKOUT = """
mutation { checkout(input: {paymentMethod: DUMMY}) {
  ... on CheckoutPayload { order { id lines { productName variantName sku unitPrice quantity variant { sku } } } }
  ... on OperationInfo { messages { code message } }
} }
"""
ORDER_LINES = "query ($id: ID!) { order(id: $id) { lines { variantName sku variant { sku stockQuantity } } } }"


@pytest.fixture
def tshirt() -> Product:
    """A T-shirt at 20.00 in S (3 units), M (5 units, 22.50) and L (sold out)."""
    category = Category.objects.create(name="Clothes", slug="clothes")
    product = product_create(
        principal=Principal.system(),
        name="T-shirt",
        price=Decimal("20.00"),
        stock_quantity=0,
        category_id=category.pk,
        options=[OptionData(name="Size", values=["S", "M", "L"])],
    )
    for size, stock, price in (("S", 3, None), ("M", 5, Decimal("22.50")), ("L", 0, None)):
        variant_create(
            principal=Principal.system(),
            product_id=product.pk,
            sku=f"TEE-{size}",
            options=[("Size", size)],
            price=price,
            stock_quantity=stock,
        )
    return product


def variant(sku: str) -> ProductVariant:
    return ProductVariant.objects.get(sku=sku)


def vid(sku: str) -> str:
    return gid("ProductVariant", variant(sku).pk)


def test_a_product_with_several_variants_needs_the_variant(gql, customer, tshirt):
    data = gql(ADD, {"p": gid("Product", tshirt.pk)}, user=customer)["addToCart"]
    assert codes(data) == ["VARIANT_REQUIRED"]
    assert data["messages"][0]["field"] == "variantId"
    # A variant of another product is not found, whatever the variant.
    other = gql(ADD, {"p": gid("Product", tshirt.pk + 100), "v": vid("TEE-S")}, user=customer)["addToCart"]
    assert codes(other) == ["NOT_FOUND"]


def test_cart_lines_are_per_variant_at_the_variant_price(gql, customer, tshirt):
    gql(ADD, {"v": vid("TEE-S"), "q": 1}, user=customer)
    gql(ADD, {"p": gid("Product", tshirt.pk), "v": vid("TEE-M"), "q": 2}, user=customer)
    cart = gql(ADD, {"v": vid("TEE-S"), "q": 1}, user=customer)["addToCart"]["cart"]
    assert cart["lines"] == [
        {"quantity": 2, "unitPrice": "20.00", "lineTotal": "40.00", "variant": {"sku": "TEE-S", "name": "S"},
         "product": {"name": "T-shirt"}},
        {"quantity": 2, "unitPrice": "22.50", "lineTotal": "45.00", "variant": {"sku": "TEE-M", "name": "M"},
         "product": {"name": "T-shirt"}},
    ]  # fmt: skip
    assert cart["subtotal"] == "85.00"


def test_the_cart_checks_the_stock_of_the_variant(gql, customer, tshirt):
    assert codes(gql(ADD, {"v": vid("TEE-L")}, user=customer)["addToCart"]) == ["OUT_OF_STOCK"]
    assert codes(gql(ADD, {"v": vid("TEE-S"), "q": 4}, user=customer)["addToCart"]) == ["OUT_OF_STOCK"]
    assert gql(ADD, {"v": vid("TEE-M"), "q": 4}, user=customer)["addToCart"]["cart"]["lines"][0]["quantity"] == 4


def test_checkout_decrements_the_variant_and_freezes_its_sku_and_name(gql, customer, staff, tshirt):
    gql(ADD, {"v": vid("TEE-M"), "q": 2}, user=customer)
    gql(ADD, {"v": vid("TEE-S"), "q": 1}, user=customer)
    order = gql(CHECKOUT, user=customer)["checkout"]["order"]
    assert order["lines"] == [
        {"productName": "T-shirt", "variantName": "S", "sku": "TEE-S", "unitPrice": "20.00", "quantity": 1,
         "variant": {"sku": "TEE-S"}},
        {"productName": "T-shirt", "variantName": "M", "sku": "TEE-M", "unitPrice": "22.50", "quantity": 2,
         "variant": {"sku": "TEE-M"}},
    ]  # fmt: skip
    assert [variant(sku).stock_quantity for sku in ("TEE-S", "TEE-M", "TEE-L")] == [2, 3, 0]
    assert Product.objects.get(pk=tshirt.pk).stock_quantity == 5
    movements = StockMovement.objects.filter(delta__lt=0).order_by("variant__sku")
    assert [(m.variant.sku, m.delta, m.quantity_after, m.actor) for m in movements] == [
        ("TEE-M", -2, 3, customer),
        ("TEE-S", -1, 2, customer),
    ]

    # A variant deleted later: the order keeps what was bought.
    variant_delete(principal=Principal.system(), variant_id=variant("TEE-M").pk)
    lines = gql(ORDER_LINES, {"id": order["id"]}, user=customer)["order"]["lines"]
    assert lines == [
        {"variantName": "S", "sku": "TEE-S", "variant": {"sku": "TEE-S", "stockQuantity": 2}},
        {"variantName": "M", "sku": "TEE-M", "variant": None},
    ]

    # Cancelling gives back what still exists, once.
    assert gql(CANCEL, {"id": order["id"]}, user=customer)["cancelOrder"]["__typename"] == "OrderPayload"
    assert codes(gql(CANCEL, {"id": order["id"]}, user=customer)["cancelOrder"]) == ["INVALID_TRANSITION"]
    assert variant("TEE-S").stock_quantity == 3
    assert Product.objects.get(pk=tshirt.pk).stock_quantity == 3
    assert StockMovement.objects.filter(variant__sku="TEE-S", delta=1).count() == 1


def test_checkout_names_the_variant_that_ran_out(gql, customer, tshirt):
    gql(ADD, {"v": vid("TEE-S"), "q": 3}, user=customer)
    ProductVariant.objects.filter(sku="TEE-S").update(stock_quantity=1)
    Product.objects.filter(pk=tshirt.pk).update(stock_quantity=6)
    data = gql(CHECKOUT, user=customer)["checkout"]
    assert codes(data) == ["OUT_OF_STOCK"]
    assert "T-shirt (S)" in data["messages"][0]["message"]
    assert not OrderLine.objects.exists()
    assert variant("TEE-S").stock_quantity == 1


def test_deleting_a_variant_removes_it_from_carts(gql, customer, tshirt):
    gql(ADD, {"v": vid("TEE-M"), "q": 1}, user=customer)
    gql(ADD, {"v": vid("TEE-S"), "q": 1}, user=customer)
    variant_delete(principal=Principal.system(), variant_id=variant("TEE-M").pk)
    cart = gql(f"{{ cart {{ {CART_FIELDS} }} }}", user=customer)["cart"]
    assert [line["variant"]["sku"] for line in cart["lines"]] == ["TEE-S"]
