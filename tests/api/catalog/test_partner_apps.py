"""Partner apps with CATALOG_WRITE make every catalog write staff can, under the
same validation, recorded as the app; other apps are refused."""

import pytest

from accounts.principal import Principal
from commerce.models import Category, Product, StockMovement
from partners import services as partners
from partners.models import AppScope
from tests.api.catalog.test_mutations import (
    ADJUST_STOCK,
    CREATE_CATEGORY,
    CREATE_PRODUCT,
    DELETE_PRODUCT,
    SET_CATEGORY_ACTIVE,
    UPDATE_CATEGORY,
    UPDATE_PRODUCT,
    product_input,
)
from tests.conftest import codes, messages
from tests.factories import gid, make_category, make_product

pytestmark = pytest.mark.django_db


def as_app(gql, scopes: list[str]):
    _, token = partners.app_create(principal=Principal.system(), name="Catalog sync", scopes=scopes)
    return lambda query, variables=None: gql(query, variables, headers={"Authorization": f"App {token}"})


@pytest.fixture
def category() -> Category:
    return make_category("Lighting", slug="lighting")


@pytest.fixture
def product(category) -> Product:
    return make_product("Lamp", category=category, slug="lamp", stock=4, price="9.00")


@pytest.fixture
def operations(category, product) -> list[tuple[str, str, dict]]:
    category_id, product_id = gid("Category", category.pk), gid("Product", product.pk)
    return [
        ("createCategory", CREATE_CATEGORY, {"input": {"name": "New"}}),
        ("updateCategory", UPDATE_CATEGORY, {"id": category_id, "input": {"name": "Renamed"}}),
        ("createProduct", CREATE_PRODUCT, {"input": product_input(category, name="New")}),
        ("updateProduct", UPDATE_PRODUCT, {"id": product_id, "input": {"price": "1.00"}}),
        ("adjustStock", ADJUST_STOCK, {"productId": product_id, "delta": 5}),
        ("deleteProduct", DELETE_PRODUCT, {"id": product_id}),
        ("setCategoryActive", SET_CATEGORY_ACTIVE, {"id": category_id, "active": False}),
    ]


def snapshot():
    return (
        list(Category.objects.values_list("name", "is_active").order_by("id")),
        list(Product.objects.values_list("name", "price", "stock_quantity", "is_active", "deleted_at").order_by("id")),
        StockMovement.objects.count(),
    )


def test_an_app_with_catalog_write_makes_every_catalog_write(gql, operations, product):
    app = as_app(gql, [AppScope.CATALOG_WRITE])
    for name, query, variables in operations:
        payload = app(query, variables)[name]
        assert messages(payload) == [], name

    assert Category.objects.filter(name="New").exists()
    assert Product.objects.filter(name="New", category__name="Renamed").exists()
    product.refresh_from_db()
    assert (product.stock_quantity, str(product.price), product.deleted_at is not None) == (9, "1.00", True)
    assert not Category.objects.get(name="Renamed").is_active


@pytest.mark.parametrize("scopes", [[], [AppScope.ORDERS_READ, AppScope.ORDERS_WRITE]])
def test_an_app_without_catalog_write_is_refused_and_nothing_changes(gql, operations, scopes):
    app = as_app(gql, scopes)
    before = snapshot()
    for name, query, variables in operations:
        assert codes(app(query, variables)[name]) == ["PERMISSION_DENIED"], name
    assert snapshot() == before


def test_a_deactivated_app_is_refused(gql, operations):
    app_row, token = partners.app_create(principal=Principal.system(), name="Old", scopes=[AppScope.CATALOG_WRITE])
    partners.app_update(principal=Principal.system(), app_id=app_row.pk, is_active=False)
    before = snapshot()
    name, query, variables = operations[0]
    payload = gql(query, variables, headers={"Authorization": f"App {token}"})[name]
    assert codes(payload) == ["UNAUTHENTICATED"]  # its token no longer names an app
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "query", "variables"),
    [
        ("createCategory", CREATE_CATEGORY, lambda c, p: {"input": {"name": "  "}}),
        ("createCategory", CREATE_CATEGORY, lambda c, p: {"input": {"name": "Lighting"}}),
        ("createProduct", CREATE_PRODUCT, lambda c, p: {"input": product_input(c, price="-1")}),
        ("createProduct", CREATE_PRODUCT, lambda c, p: {"input": product_input(c, stockQuantity=-3)}),
        ("updateProduct", UPDATE_PRODUCT, lambda c, p: {"id": gid("Product", p.pk), "input": {"price": "0.001"}}),
        ("updateProduct", UPDATE_PRODUCT, lambda c, p: {"id": gid("Category", c.pk), "input": {"name": "X"}}),
        ("adjustStock", ADJUST_STOCK, lambda c, p: {"productId": gid("Product", p.pk), "delta": -5}),
        ("adjustStock", ADJUST_STOCK, lambda c, p: {"productId": gid("Product", p.pk), "delta": 0}),
    ],
)
def test_an_app_gets_the_same_validation_errors_as_staff(gql, staff, category, product, name, query, variables):
    app = as_app(gql, [AppScope.CATALOG_WRITE])
    before = snapshot()
    as_staff = gql(query, variables(category, product), user=staff)[name]
    as_app_payload = app(query, variables(category, product))[name]
    assert codes(as_staff) != []
    assert as_app_payload == as_staff
    assert snapshot() == before


def test_stock_movements_record_the_app_as_their_actor(gql, staff, category):
    app_row, token = partners.app_create(
        principal=Principal.system(), name="Warehouse", scopes=[AppScope.CATALOG_WRITE]
    )

    def app(query: str, variables: dict) -> dict:
        return gql(query, variables, headers={"Authorization": f"App {token}"})

    created = app(CREATE_PRODUCT, {"input": product_input(category, stockQuantity=5)})["createProduct"]
    product_id = created["product"]["id"]
    app(UPDATE_PRODUCT, {"id": product_id, "input": {"stockQuantity": 8}})
    app(ADJUST_STOCK, {"productId": product_id, "delta": -2, "reason": "damaged"})
    gql(ADJUST_STOCK, {"productId": product_id, "delta": 1}, user=staff)

    movements = StockMovement.objects.order_by("id").values_list("delta", "reason", "actor_app", "actor")
    assert list(movements) == [
        (5, "initial stock", app_row.pk, None),
        (3, "set by product update", app_row.pk, None),
        (-2, "damaged", app_row.pk, None),
        (1, "", None, staff.pk),
    ]
