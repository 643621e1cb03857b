"""`products(filters: {search})`: typo-tolerant, relevance-ordered full text on
PostgreSQL, kept current by every write; the `icontains` fallback on SQLite."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.principal import Principal
from commerce.catalog.importing import catalog_import
from commerce.models import Product
from tests.api.catalog.test_mutations import UPDATE_CATEGORY, UPDATE_PRODUCT
from tests.api.catalog.test_queries import PRODUCTS, names
from tests.factories import gid, make_category, make_product

postgres_only = (
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text and trigram search"),
)


def search(gql, text: str, **variables) -> list[str]:
    return names(gql(PRODUCTS, {"filters": {"search": text}, **variables}))


@pytest.fixture
def shop(db):
    outerwear = make_category("Outerwear", slug="outerwear")
    jackets = make_category("Jackets", slug="jackets")
    drinks = make_category("Drinks", slug="drinks")
    now = timezone.now()
    rows = [
        ("Green Jacket", outerwear, "80.00", "A warm coat for winter."),
        ("Rain Coat", outerwear, "60.00", "Light jacket that keeps the rain out."),
        ("Parka", jackets, "120.00", "Hooded, quilted."),
        ("Green Tea", drinks, "5.00", "Loose leaves."),
        ("Blue Scarf", outerwear, "15.00", "Soft wool."),
    ]
    for age, (name, category, price, description) in enumerate(rows):
        product = make_product(name, category=category, price=price, description=description)
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=age))
    return {"outerwear": outerwear, "jackets": jackets}


@pytest.mark.django_db
@postgres_only[0]
@postgres_only[1]
class TestPostgresSearch:
    def test_a_typo_still_finds_the_product_and_nothing_unrelated(self, gql, shop):
        assert search(gql, "grene jakcet") == ["Green Jacket"]
        assert search(gql, "parak") == ["Parka"]
        assert search(gql, "xylophone") == []

    def test_name_match_ranks_above_category_match_above_description_match(self, gql, shop):
        # "Green Jacket" by name, "Parka" by its category "Jackets", "Rain Coat" by its description.
        data = gql(PRODUCTS, {"filters": {"search": "jacket"}})
        assert names(data) == ["Green Jacket", "Parka", "Rain Coat"]
        assert data["products"]["totalCount"] == 3

    def test_category_name_matches(self, gql, shop):
        assert search(gql, "outerwear") == ["Green Jacket", "Rain Coat", "Blue Scarf"]

    def test_ordering_overrides_relevance(self, gql, shop):
        assert search(gql, "jacket", ordering=[{"price": "DESC"}]) == ["Parka", "Green Jacket", "Rain Coat"]
        assert search(gql, "jacket", ordering=[{"name": "ASC"}]) == ["Green Jacket", "Parka", "Rain Coat"]

    def test_search_combines_with_other_filters(self, gql, shop):
        data = gql(PRODUCTS, {"filters": {"search": "jacket", "maxPrice": "100"}})
        assert names(data) == ["Green Jacket", "Rain Coat"]

    def test_renaming_a_product_updates_its_search(self, gql, shop, staff):
        parka = Product.objects.get(name="Parka")
        assert search(gql, "parka") == ["Parka"]  # and cached for anonymous callers
        result = gql(UPDATE_PRODUCT, {"id": gid("Product", parka.pk), "input": {"name": "Anorak"}}, user=staff)
        assert result["updateProduct"]["product"]["name"] == "Anorak"
        assert search(gql, "anorak") == ["Anorak"]
        assert search(gql, "parka") == []

    def test_renaming_a_category_updates_its_products_search(self, gql, shop, staff):
        jackets = shop["jackets"]
        assert "Parka" in search(gql, "jackets")
        result = gql(UPDATE_CATEGORY, {"id": gid("Category", jackets.pk), "input": {"name": "Mountain"}}, user=staff)
        assert result["updateCategory"]["category"]["name"] == "Mountain"
        assert search(gql, "mountain") == ["Parka"]
        assert "Parka" not in search(gql, "jackets")

    def test_imported_and_bulk_written_products_are_searchable(self, gql, shop):
        Product.objects.bulk_create(
            [Product(name="Wool Mittens", slug="wool-mittens", price=9, stock_quantity=1, category=shop["jackets"])]
        )
        assert search(gql, "mitens") == ["Wool Mittens"]
        report = catalog_import(
            principal=Principal.system(),
            data=[{"name": "Canvas Sneakers", "price": "40.00", "stock_quantity": 3, "category": "Shoes"}],
        )
        assert not report.errors, report.errors
        assert search(gql, "snekers") == ["Canvas Sneakers"]

    def test_a_stored_document_cannot_be_overwritten(self, shop):
        product = Product.objects.get(name="Parka")
        Product.objects.filter(pk=product.pk).update(search_vector=None)
        assert Product.objects.filter(pk=product.pk, search_vector__isnull=False).exists()

    def test_anonymous_answers_are_cached_per_search(self, gql, shop):
        assert search(gql, "jacket")[0] == "Green Jacket"
        assert search(gql, "scarf") == ["Blue Scarf"]
        assert search(gql, "jacket")[0] == "Green Jacket"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite fallback")
class TestSqliteFallback:
    def test_the_text_inside_name_description_or_category_any_case(self, gql, shop):
        assert search(gql, "JACKET") == ["Green Jacket", "Rain Coat", "Parka"]
        assert search(gql, "outerwear") == ["Green Jacket", "Rain Coat", "Blue Scarf"]
        assert search(gql, "grene jakcet") == []
