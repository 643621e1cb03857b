"""Staff catalog writes through GraphQL: results, refusals, and what a refusal leaves untouched."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from commerce.models import Category, Product, StockMovement
from tests.conftest import codes
from tests.factories import gid, make_category, make_product

CREATE_CATEGORY = """
mutation ($input: CategoryInput!) {
  createCategory(input: $input) {
    ... on CategoryPayload { category { id name slug description isActive } }
    ... on OperationInfo { messages { code field message } }
  }
}
"""
UPDATE_CATEGORY = """
mutation ($id: ID!, $input: CategoryUpdateInput!) {
  updateCategory(id: $id, input: $input) {
    ... on CategoryPayload { category { name slug description } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
SET_CATEGORY_ACTIVE = """
mutation ($id: ID!, $active: Boolean!) {
  setCategoryActive(id: $id, active: $active) {
    ... on CategoryPayload { category { isActive } }
    ... on OperationInfo { messages { code } }
  }
}
"""
CREATE_PRODUCT = """
mutation ($input: ProductInput!) {
  createProduct(input: $input) {
    ... on ProductPayload { product { id name slug price currency stockQuantity isActive
                                      category { slug } images { url alt } } }
    ... on OperationInfo { messages { code field message } }
  }
}
"""
UPDATE_PRODUCT = """
mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) {
    ... on ProductPayload { product { name slug price stockQuantity isActive category { slug } images { url } } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
DELETE_PRODUCT = """
mutation ($id: ID!) {
  deleteProduct(id: $id) {
    ... on ProductPayload { product { slug isActive deletedAt } }
    ... on OperationInfo { messages { code } }
  }
}
"""
ADJUST_STOCK = """
mutation ($productId: ID!, $delta: Int!, $reason: String) {
  adjustStock(productId: $productId, delta: $delta, reason: $reason) {
    ... on StockPayload { product { stockQuantity inStock } }
    ... on OperationInfo { messages { code field } }
  }
}
"""
PRODUCT = "query ($slug: String!) { product(slug: $slug) { name price isActive stockQuantity } }"


def product_input(category: Category, **overrides) -> dict:
    return {
        "name": "Lamp",
        "price": "19.99",
        "stockQuantity": 5,
        "categoryId": gid("Category", category.pk),
    } | overrides


@pytest.fixture
def category(db) -> Category:
    return make_category("Lighting", slug="lighting")


@pytest.mark.django_db
class TestCategories:
    def test_create_generates_a_unique_slug(self, gql, staff):
        data = gql(CREATE_CATEGORY, {"input": {"name": "Garden & Patio", "description": "outside"}}, user=staff)
        assert data["createCategory"]["category"]["slug"] == "garden-patio"
        Category.objects.filter(slug="garden-patio").update(name="Old garden")
        again = gql(CREATE_CATEGORY, {"input": {"name": "Garden Patio"}}, user=staff)
        assert again["createCategory"]["category"]["slug"] == "garden-patio-2"

    def test_duplicate_name_is_refused(self, gql, staff, category):
        data = gql(CREATE_CATEGORY, {"input": {"name": "LIGHTING"}}, user=staff)
        assert codes(data["createCategory"]) == ["ALREADY_EXISTS"]
        assert Category.objects.count() == 1

    def test_blank_name_is_refused(self, gql, staff):
        data = gql(CREATE_CATEGORY, {"input": {"name": "  "}}, user=staff)
        assert codes(data["createCategory"]) == ["INVALID_INPUT"]
        assert not Category.objects.exists()

    def test_update_keeps_the_slug(self, gql, staff, category):
        data = gql(UPDATE_CATEGORY, {"id": gid("Category", category.pk), "input": {"name": "Lamps"}}, user=staff)
        assert data["updateCategory"]["category"] == {"name": "Lamps", "slug": "lighting", "description": ""}

    def test_update_to_a_taken_name_is_refused(self, gql, staff, category):
        other = make_category("Other")
        data = gql(UPDATE_CATEGORY, {"id": gid("Category", other.pk), "input": {"name": "lighting"}}, user=staff)
        assert codes(data["updateCategory"]) == ["ALREADY_EXISTS"]
        other.refresh_from_db()
        assert other.name == "Other"

    def test_unknown_or_wrong_type_id_is_not_found(self, gql, staff, category):
        for bad_id in (gid("Category", 999_999), gid("Product", category.pk)):
            data = gql(SET_CATEGORY_ACTIVE, {"id": bad_id, "active": False}, user=staff)
            assert codes(data["setCategoryActive"]) == ["NOT_FOUND"]

    def test_deactivation_cascades_and_reactivation_restores_only_what_it_switched_off(self, gql, staff, category):
        on = make_product("On", category=category)
        turned_off_by_staff = make_product("Off", category=category, active=False)
        elsewhere = make_product("Elsewhere")
        category_id = gid("Category", category.pk)

        data = gql(SET_CATEGORY_ACTIVE, {"id": category_id, "active": False}, user=staff)
        assert data["setCategoryActive"]["category"]["isActive"] is False
        assert Product.objects.get(pk=on.pk).is_active is False
        assert gql(PRODUCT, {"slug": on.slug})["product"] is None

        gql(SET_CATEGORY_ACTIVE, {"id": category_id, "active": True}, user=staff)
        assert Product.objects.get(pk=on.pk).is_active is True
        assert Product.objects.get(pk=turned_off_by_staff.pk).is_active is False
        assert Product.objects.get(pk=elsewhere.pk).is_active is True
        assert gql(PRODUCT, {"slug": on.slug})["product"]["name"] == "On"

    def test_staff_switching_a_product_off_while_its_category_is_off_keeps_it_off(self, gql, staff, category):
        product = make_product(category=category)
        category_id = gid("Category", category.pk)
        gql(SET_CATEGORY_ACTIVE, {"id": category_id, "active": False}, user=staff)
        gql(UPDATE_PRODUCT, {"id": gid("Product", product.pk), "input": {"isActive": False}}, user=staff)
        gql(SET_CATEGORY_ACTIVE, {"id": category_id, "active": True}, user=staff)
        assert Product.objects.get(pk=product.pk).is_active is False


@pytest.mark.django_db
class TestProducts:
    def test_create(self, gql, staff, category):
        images = [{"url": "https://picsum.photos/200", "alt": "a lamp"}]
        data = gql(CREATE_PRODUCT, {"input": product_input(category, images=images)}, user=staff)
        product = data["createProduct"]["product"]
        assert product["slug"] == "lamp"
        assert product["price"] == "19.99"
        assert product["currency"] == "USD"
        assert product["stockQuantity"] == 5
        assert product["category"] == {"slug": "lighting"}
        assert product["images"] == images
        movement = StockMovement.objects.get()
        assert (movement.delta, movement.quantity_after, movement.actor) == (5, 5, staff)

    def test_same_name_gets_distinct_slugs(self, gql, staff, category):
        slugs = [
            gql(CREATE_PRODUCT, {"input": product_input(category)}, user=staff)["createProduct"]["product"]["slug"]
            for _ in range(3)
        ]
        assert slugs == ["lamp", "lamp-2", "lamp-3"]

    def test_unsluggable_name_still_gets_a_slug(self, gql, staff, category):
        data = gql(CREATE_PRODUCT, {"input": product_input(category, name="!!!")}, user=staff)
        assert data["createProduct"]["product"]["slug"] == "product"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"price": "-0.01"}, "price"),
            ({"price": "1.001"}, "price"),
            ({"stockQuantity": -1}, "stockQuantity"),
            ({"name": ""}, "name"),
            ({"images": [{"url": "javascript:alert(1)", "alt": ""}]}, "images"),
        ],
    )
    def test_invalid_input_is_refused_and_nothing_is_created(self, gql, staff, category, overrides, field):
        data = gql(CREATE_PRODUCT, {"input": product_input(category, **overrides)}, user=staff)
        assert codes(data["createProduct"]) == ["INVALID_INPUT"]
        assert data["createProduct"]["messages"][0]["field"] == field
        assert not Product.objects.exists()

    def test_unknown_category_is_not_found(self, gql, staff, category):
        data = gql(CREATE_PRODUCT, {"input": product_input(category, categoryId=gid("Category", 0))}, user=staff)
        assert codes(data["createProduct"]) == ["NOT_FOUND"]
        assert not Product.objects.exists()

    def test_database_refuses_negative_price_and_stock(self, category):
        for fields in ({"price": Decimal("-1")}, {"stock_quantity": -1}):
            values = {"name": "x", "slug": "x", "price": Decimal("1"), "category": category} | fields
            with pytest.raises(IntegrityError), transaction.atomic():
                Product.objects.create(**values)

    def test_update(self, gql, staff, category):
        product = make_product("Lamp", category=category, slug="lamp", images=2)
        other = make_category("Other", slug="other")
        data = gql(
            UPDATE_PRODUCT,
            {
                "id": gid("Product", product.pk),
                "input": {
                    "name": "Big lamp",
                    "price": "25.00",
                    "categoryId": gid("Category", other.pk),
                    "images": [{"url": "https://picsum.photos/300"}],
                },
            },
            user=staff,
        )
        assert data["updateProduct"]["product"] == {
            "name": "Big lamp",
            "slug": "lamp",
            "price": "25.00",
            "stockQuantity": 10,
            "isActive": True,
            "category": {"slug": "other"},
            "images": [{"url": "https://picsum.photos/300"}],
        }

    def test_update_with_negative_price_changes_nothing(self, gql, staff, category):
        product = make_product(category=category, price="5.00")
        data = gql(
            UPDATE_PRODUCT, {"id": gid("Product", product.pk), "input": {"price": "-5", "name": "New"}}, user=staff
        )
        assert codes(data["updateProduct"]) == ["INVALID_INPUT"]
        product.refresh_from_db()
        assert (product.price, product.name) == (Decimal("5.00"), product.name)
        assert product.name != "New"

    def test_delete_is_soft(self, gql, staff, customer, category):
        product = make_product(category=category)
        data = gql(DELETE_PRODUCT, {"id": gid("Product", product.pk)}, user=staff)
        assert data["deleteProduct"]["product"]["deletedAt"] is not None
        assert Product.objects.filter(pk=product.pk, deleted_at__isnull=False).exists()
        assert gql(PRODUCT, {"slug": product.slug}, user=customer)["product"] is None
        again = gql(DELETE_PRODUCT, {"id": gid("Product", product.pk)}, user=staff)
        assert codes(again["deleteProduct"]) == ["NOT_FOUND"]


@pytest.mark.django_db
class TestStock:
    def test_adjust_records_a_movement(self, gql, staff, category):
        product = make_product(category=category, stock=3)
        data = gql(ADJUST_STOCK, {"productId": gid("Product", product.pk), "delta": -3, "reason": "broken"}, user=staff)
        assert data["adjustStock"]["product"] == {"stockQuantity": 0, "inStock": False}
        data = gql(ADJUST_STOCK, {"productId": gid("Product", product.pk), "delta": 7}, user=staff)
        assert data["adjustStock"]["product"]["stockQuantity"] == 7
        movements = list(StockMovement.objects.filter(product=product).order_by("id"))
        assert [(m.delta, m.quantity_after, m.reason, m.actor) for m in movements] == [
            (-3, 0, "broken", staff),
            (7, 7, "", staff),
        ]
        assert all(m.created_at for m in movements)

    def test_never_below_zero(self, gql, staff, category):
        product = make_product(category=category, stock=2)
        data = gql(ADJUST_STOCK, {"productId": gid("Product", product.pk), "delta": -3}, user=staff)
        assert codes(data["adjustStock"]) == ["OUT_OF_STOCK"]
        product.refresh_from_db()
        assert product.stock_quantity == 2
        assert not StockMovement.objects.exists()

    def test_zero_delta_is_refused(self, gql, staff, category):
        product = make_product(category=category, stock=2)
        data = gql(ADJUST_STOCK, {"productId": gid("Product", product.pk), "delta": 0}, user=staff)
        assert codes(data["adjustStock"]) == ["INVALID_QUANTITY"]

    def test_stock_change_shows_in_the_next_read(self, gql, staff, category):
        product = make_product(category=category, stock=2)
        assert gql(PRODUCT, {"slug": product.slug})["product"]["stockQuantity"] == 2
        gql(ADJUST_STOCK, {"productId": gid("Product", product.pk), "delta": 5}, user=staff)
        assert gql(PRODUCT, {"slug": product.slug})["product"]["stockQuantity"] == 7


@pytest.mark.django_db
class TestRefusals:
    @pytest.fixture
    def product(self, category):
        return make_product("Lamp", category=category, slug="lamp", stock=4, price="9.00")

    @pytest.fixture
    def operations(self, category, product):
        category_id, product_id = gid("Category", category.pk), gid("Product", product.pk)
        return [
            ("createCategory", CREATE_CATEGORY, {"input": {"name": "New"}}),
            ("updateCategory", UPDATE_CATEGORY, {"id": category_id, "input": {"name": "Renamed"}}),
            ("setCategoryActive", SET_CATEGORY_ACTIVE, {"id": category_id, "active": False}),
            ("createProduct", CREATE_PRODUCT, {"input": product_input(category, name="New")}),
            ("updateProduct", UPDATE_PRODUCT, {"id": product_id, "input": {"price": "1.00"}}),
            ("deleteProduct", DELETE_PRODUCT, {"id": product_id}),
            ("adjustStock", ADJUST_STOCK, {"productId": product_id, "delta": 5}),
        ]

    def snapshot(self):
        return (
            list(Category.objects.values_list("name", "is_active").order_by("id")),
            list(Product.objects.values_list("name", "price", "stock_quantity", "is_active", "deleted_at")),
            StockMovement.objects.count(),
        )

    @pytest.mark.parametrize(("who", "code"), [("anonymous", "UNAUTHENTICATED"), ("customer", "PERMISSION_DENIED")])
    def test_non_staff_are_refused_and_nothing_changes(self, gql, customer, operations, who, code):
        user = customer if who == "customer" else None
        before = self.snapshot()
        for name, query, variables in operations:
            data = gql(query, variables, user=user)
            assert codes(data[name]) == [code], name
        assert self.snapshot() == before
