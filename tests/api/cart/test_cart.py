"""The cart through GraphQL: server pricing, tax rounding, stock and quantity limits, other users' lines."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from commerce.models import Cart, CartLine
from tests.conftest import codes
from tests.factories import gid, make_category, make_product

CART_FIELDS = (
    "id lines { id quantity unitPrice lineTotal available product { slug name } } subtotal tax total currency itemCount"
)
CART = f"{{ cart {{ {CART_FIELDS} }} }}"
ADD = f"""
mutation ($productId: ID!, $quantity: Int) {{
  addToCart(productId: $productId, quantity: $quantity) {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field message }} }}
  }}
}}
"""
UPDATE = f"""
mutation ($lineId: ID!, $quantity: Int!) {{
  updateCartLine(lineId: $lineId, quantity: $quantity) {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field }} }}
  }}
}}
"""
REMOVE = f"""
mutation ($lineId: ID!) {{
  removeCartLine(lineId: $lineId) {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code }} }}
  }}
}}
"""
CLEAR = f"""
mutation {{
  clearCart {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code }} }}
  }}
}}
"""


def quantities(user) -> dict[str, int]:
    return dict(CartLine.objects.filter(cart__user=user).values_list("product__slug", "quantity"))


@pytest.fixture
def lamp(db):
    return make_product("Lamp", slug="lamp", price="19.99", stock=5)


@pytest.mark.django_db
class TestCart:
    def test_anonymous_gets_null_and_unauthenticated(self, gql, lamp):
        assert gql(CART) == {"cart": None}
        data = gql(ADD, {"productId": gid("Product", lamp.pk)})
        assert codes(data["addToCart"]) == ["UNAUTHENTICATED"]
        assert not CartLine.objects.exists()

    def test_cart_is_created_lazily_and_empty(self, gql, customer):
        assert not Cart.objects.exists()
        cart = gql(CART, user=customer)["cart"]
        assert cart["lines"] == []
        assert (cart["subtotal"], cart["tax"], cart["total"], cart["itemCount"]) == ("0.00", "0.00", "0.00", 0)
        assert Cart.objects.filter(user=customer).count() == 1
        gql(CART, user=customer)
        assert Cart.objects.count() == 1

    @override_settings(TAX_RATE=Decimal("0.19"))
    def test_arithmetic_and_tax_rounding(self, gql, customer, lamp):
        mug = make_product("Mug", slug="mug", price="0.35", stock=10)
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        data = gql(ADD, {"productId": gid("Product", mug.pk), "quantity": 3}, user=customer)
        cart = data["addToCart"]["cart"]
        lines = {line["product"]["slug"]: line for line in cart["lines"]}
        assert (lines["lamp"]["unitPrice"], lines["lamp"]["lineTotal"]) == ("19.99", "39.98")
        assert (lines["mug"]["unitPrice"], lines["mug"]["lineTotal"]) == ("0.35", "1.05")
        # 41.03 * 0.19 = 7.7957 -> 7.80 (half-up, once per cart)
        assert (cart["subtotal"], cart["tax"], cart["total"]) == ("41.03", "7.80", "48.83")
        assert cart["currency"] == "USD"
        assert cart["itemCount"] == 5
        assert gql(CART, user=customer)["cart"] == cart

    @override_settings(TAX_RATE=Decimal("0.19"))
    def test_tax_half_up(self, gql, customer):
        # 0.50 * 0.19 = 0.095 -> 0.10
        product = make_product(price="0.50")
        cart = gql(ADD, {"productId": gid("Product", product.pk)}, user=customer)["addToCart"]["cart"]
        assert (cart["subtotal"], cart["tax"], cart["total"]) == ("0.50", "0.10", "0.60")

    def test_adding_again_raises_the_quantity(self, gql, customer, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        cart = gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)["addToCart"]["cart"]
        assert [line["quantity"] for line in cart["lines"]] == [3]
        assert CartLine.objects.count() == 1

    def test_more_than_the_stock_is_out_of_stock(self, gql, customer, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 4}, user=customer)
        data = gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        assert codes(data["addToCart"]) == ["OUT_OF_STOCK"]
        assert quantities(customer) == {"lamp": 4}

    @pytest.mark.parametrize("quantity", [0, -1])
    def test_add_needs_a_positive_quantity(self, gql, customer, lamp, quantity):
        data = gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": quantity}, user=customer)
        assert codes(data["addToCart"]) == ["INVALID_QUANTITY"]
        assert quantities(customer) == {}

    @override_settings(MAX_LINE_QUANTITY=3)
    def test_quantity_upper_bound(self, gql, customer, lamp):
        data = gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 4}, user=customer)
        assert codes(data["addToCart"]) == ["INVALID_QUANTITY"]
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 3}, user=customer)
        line = CartLine.objects.get()
        data = gql(UPDATE, {"lineId": gid("CartLine", line.pk), "quantity": 4}, user=customer)
        assert codes(data["updateCartLine"]) == ["INVALID_QUANTITY"]
        assert quantities(customer) == {"lamp": 3}

    def test_products_not_on_sale_are_not_found(self, gql, customer):
        hidden_category = make_category(active=False)
        products = [
            make_product(active=False),
            make_product(deleted_at=timezone.now()),
            make_product(category=hidden_category),
        ]
        for product in products:
            data = gql(ADD, {"productId": gid("Product", product.pk)}, user=customer)
            assert codes(data["addToCart"]) == ["NOT_FOUND"]
        for bad in (gid("Product", 0), gid("Category", products[0].category_id)):
            assert codes(gql(ADD, {"productId": bad}, user=customer)["addToCart"]) == ["NOT_FOUND"]
        assert not CartLine.objects.exists()

    def test_update_line(self, gql, customer, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)
        line_id = gid("CartLine", CartLine.objects.get().pk)
        cart = gql(UPDATE, {"lineId": line_id, "quantity": 5}, user=customer)["updateCartLine"]["cart"]
        assert cart["lines"][0]["quantity"] == 5
        assert cart["subtotal"] == "99.95"
        data = gql(UPDATE, {"lineId": line_id, "quantity": 6}, user=customer)
        assert codes(data["updateCartLine"]) == ["OUT_OF_STOCK"]
        data = gql(UPDATE, {"lineId": line_id, "quantity": -1}, user=customer)
        assert codes(data["updateCartLine"]) == ["INVALID_QUANTITY"]
        assert quantities(customer) == {"lamp": 5}
        cart = gql(UPDATE, {"lineId": line_id, "quantity": 0}, user=customer)["updateCartLine"]["cart"]
        assert cart["lines"] == []
        assert quantities(customer) == {}

    def test_remove_and_clear(self, gql, customer, lamp):
        mug = make_product(slug="mug")
        gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)
        gql(ADD, {"productId": gid("Product", mug.pk)}, user=customer)
        line = CartLine.objects.get(product=lamp)
        cart = gql(REMOVE, {"lineId": gid("CartLine", line.pk)}, user=customer)["removeCartLine"]["cart"]
        assert [line["product"]["slug"] for line in cart["lines"]] == ["mug"]
        cart = gql(CLEAR, user=customer)["clearCart"]["cart"]
        assert cart["lines"] == [] and cart["itemCount"] == 0
        assert gql(CART, user=customer)["cart"]["lines"] == []

    def test_another_users_line_is_not_found_and_unchanged(self, gql, customer, make_user, lamp):
        other = make_user()
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=other)
        line_id = gid("CartLine", CartLine.objects.get().pk)
        assert codes(gql(UPDATE, {"lineId": line_id, "quantity": 1}, user=customer)["updateCartLine"]) == ["NOT_FOUND"]
        assert codes(gql(REMOVE, {"lineId": line_id}, user=customer)["removeCartLine"]) == ["NOT_FOUND"]
        gql(CLEAR, user=customer)
        assert quantities(other) == {"lamp": 2}
        assert gql(CART, user=other)["cart"]["itemCount"] == 2
        assert gql(CART, user=customer)["cart"]["lines"] == []

    def test_lines_of_products_taken_off_sale_stay_but_are_unavailable(self, gql, customer, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        type(lamp).objects.filter(pk=lamp.pk).update(is_active=False)
        line = gql(CART, user=customer)["cart"]["lines"][0]
        assert line["available"] is False
        data = gql(UPDATE, {"lineId": line["id"], "quantity": 3}, user=customer)
        assert codes(data["updateCartLine"]) == ["NOT_FOUND"]
        cart = gql(UPDATE, {"lineId": line["id"], "quantity": 1}, user=customer)["updateCartLine"]["cart"]
        assert cart["lines"][0]["quantity"] == 1
