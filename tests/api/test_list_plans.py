"""Every list query reads a page, not the table: EXPLAIN at 5,000 rows.

A page of 20 must come from an index matching its ordering (no Seq Scan on
the products or orders table) and no window over every row (`WindowAgg`,
strawberry-django's `COUNT(1) OVER ()` for `totalCount`). PostgreSQL only:
the plans are PostgreSQL's.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.text import slugify

from commerce.models import Category, Product
from tests.factories import orders_bulk_for_load

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plans"),
    pytest.mark.django_db,
]

ROWS = 5_000
SCANNED_TABLES = ("commerce_product", "commerce_order")

PRODUCTS = """query ($ordering: [ProductOrder!], $filters: ProductFilter) {
  products(first: 20, ordering: $ordering, filters: $filters) {
    totalCount edges { node { name price category { name } images { url } } }
  }
}"""
CATEGORIES = """query ($ordering: [CategoryOrder!]) {
  categories(first: 20, ordering: $ordering) { totalCount edges { node { name } } }
}"""
ORDERS = """query ($ordering: [OrderOrder!]) {
  orders(first: 20, ordering: $ordering) { totalCount edges { node { number total lines { productName } } } }
}"""

PRODUCT_ORDERINGS = [
    [],
    [{"price": "ASC"}],
    [{"price": "DESC"}],
    [{"name": "ASC"}],
    [{"createdAt": "ASC"}],
    [{"createdAt": "DESC"}],
]
ORDER_ORDERINGS = [[], [{"total": "DESC"}], [{"number": "ASC"}], [{"status": "ASC"}], [{"createdAt": "ASC"}]]


@pytest.fixture
def catalog(db) -> list[Category]:
    categories = Category.objects.bulk_create(
        Category(name=f"Category {n}", slug=f"category-{n}", is_active=n != 0) for n in range(10)
    )
    Product.objects.bulk_create(
        Product(
            name=f"Product {n}",
            slug=f"product-{n}",
            price=Decimal(n % 500) + Decimal("0.99"),
            stock_quantity=n % 7,
            category=categories[n % 10],
            is_active=n % 13 != 0,
        )
        for n in range(ROWS)
    )
    with connection.cursor() as cursor:  # auto_now_add set one time for all: spread them
        cursor.execute("UPDATE commerce_product SET created_at = now() - (id || ' minutes')::interval")
    return categories


@pytest.fixture
def orders(catalog, customer, make_user) -> None:
    other = make_user()
    orders_bulk_for_load(ROWS, user_of=lambda n: customer if n % 50 == 0 else other)  # 100 orders of 5,000


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _plans(gql, document: str, variables: dict, **credentials) -> list[tuple[str, str]]:
    """(sql, plan) of every SELECT the request ran, apart from authentication."""
    with CaptureQueriesContext(connection) as captured:
        gql(document, variables, **credentials)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "accounts_" in sql.split(" WHERE ")[0]:
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def _assert_reads_a_page(plans: list[tuple[str, str]]) -> None:
    assert plans
    for sql, plan in plans:
        assert "WindowAgg" not in plan, f"a window over every row:\n{sql}\n{plan}"
        if sql.startswith("SELECT COUNT(*)"):
            continue  # the total: cached (catalog) or bounded by the caller's index (orders), checked below
        for table in SCANNED_TABLES:
            assert f"Seq Scan on {table} " not in plan, f"a full scan of {table}:\n{sql}\n{plan}"


@pytest.mark.parametrize("ordering", PRODUCT_ORDERINGS)
@pytest.mark.parametrize("viewer", ["anonymous", "customer", "staff"])
def test_product_list_reads_a_page(gql, catalog, customer, staff, ordering, viewer):
    _analyze()
    credentials = {"user": {"customer": customer, "staff": staff}[viewer]} if viewer != "anonymous" else {}
    _assert_reads_a_page(_plans(gql, PRODUCTS, {"ordering": ordering}, **credentials))


def test_product_list_of_one_category_reads_a_page(gql, catalog, customer):
    _analyze()
    _assert_reads_a_page(_plans(gql, PRODUCTS, {"filters": {"category": "category-3"}, "ordering": []}, user=customer))


def test_product_count_is_cached_per_catalog_version(gql, catalog, customer, staff):
    _analyze()
    first = _plans(gql, PRODUCTS, {"ordering": []}, user=customer)
    assert [sql for sql, _plan in first if sql.startswith("SELECT COUNT(*)")]
    again = _plans(gql, PRODUCTS, {"ordering": []}, user=customer)
    assert not [sql for sql, _plan in again if sql.startswith("SELECT COUNT(*)")]


@pytest.mark.parametrize("text", ["green jacket", "grene jakcet", "outerwear"])
@pytest.mark.parametrize("ordering", [[], [{"price": "ASC"}]])
def test_product_search_is_index_backed(gql, catalog, text, ordering):
    # Full text (name, category) and trigram similarity (a typo) at 5,000 products: GIN index scans.
    outerwear = Category.objects.create(name="Outerwear", slug="outerwear")
    Product.objects.bulk_create(
        Product(name=name, slug=slugify(name), price=Decimal("80.00"), stock_quantity=3, category=outerwear)
        for name in ("Green Jacket", "Green Tea", "Rain Jacket")
    )
    _analyze()
    plans = _plans(gql, PRODUCTS, {"filters": {"search": text}, "ordering": ordering})
    _assert_reads_a_page(plans)
    assert any("product_search_vector" in plan or "product_name_trgm" in plan for _sql, plan in plans), plans


@pytest.mark.parametrize("ordering", [[], [{"createdAt": "DESC"}]])
def test_category_list_has_no_window(gql, catalog, staff, ordering):
    _analyze()
    _assert_reads_a_page(_plans(gql, CATEGORIES, {"ordering": ordering}, user=staff))


@pytest.mark.parametrize("ordering", ORDER_ORDERINGS)
def test_staff_order_list_reads_a_page(gql, orders, staff, ordering):
    _analyze()
    _assert_reads_a_page(_plans(gql, ORDERS, {"ordering": ordering}, user=staff))


@pytest.mark.parametrize("ordering", ORDER_ORDERINGS)
def test_customer_order_list_reads_a_page_and_counts_by_index(gql, orders, customer, ordering):
    _analyze()
    plans = _plans(gql, ORDERS, {"ordering": ordering}, user=customer)
    _assert_reads_a_page(plans)
    counts = [plan for sql, plan in plans if sql.startswith("SELECT COUNT(*)")]
    assert counts and all("Seq Scan on commerce_order " not in plan for plan in counts), counts
