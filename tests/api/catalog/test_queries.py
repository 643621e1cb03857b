"""Public and staff reads of the catalog: visibility, filters, ordering, page size, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import Product
from tests.factories import make_category, make_product

PRODUCTS = """
query ($filters: ProductFilter, $ordering: [ProductOrder!], $first: Int) {
  products(filters: $filters, ordering: $ordering, first: $first) {
    totalCount
    edges { node { id name slug price currency stockQuantity inStock isActive
                   category { name slug } images { url alt } createdAt } }
  }
}
"""
CATEGORIES = """
query ($filters: CategoryFilter) { categories(filters: $filters) { totalCount edges { node { name slug isActive } } } }
"""
PRODUCT = (
    "query ($slug: String!) { product(slug: $slug) { name slug isActive deletedAt category { slug } images { url } } }"
)
CATEGORY = "query ($slug: String!) { category(slug: $slug) { name slug isActive } }"


def names(data: dict) -> list[str]:
    return [edge["node"]["name"] for edge in data["products"]["edges"]]


@pytest.fixture
def catalog(db):
    shoes = make_category("Shoes", slug="shoes")
    hidden = make_category("Hidden", slug="hidden", active=False)
    make_product("Runner", category=shoes, price="50.00", slug="runner")
    make_product("Off shoe", category=shoes, active=False, slug="off-shoe")
    make_product("Gone shoe", category=shoes, slug="gone-shoe", deleted_at=timezone.now(), active=False)
    make_product("Secret", category=hidden, slug="secret")
    return shoes, hidden


@pytest.mark.django_db
class TestVisibility:
    def test_public_and_customers_see_active_products_of_active_categories(self, gql, catalog, customer):
        for user in (None, customer):
            data = gql(PRODUCTS, user=user)
            assert names(data) == ["Runner"]
            assert data["products"]["totalCount"] == 1

    def test_staff_see_everything_and_filter_on_is_active(self, gql, catalog, staff):
        assert sorted(names(gql(PRODUCTS, user=staff))) == ["Gone shoe", "Off shoe", "Runner", "Secret"]
        inactive = gql(PRODUCTS, {"filters": {"isActive": False}}, user=staff)
        assert sorted(names(inactive)) == ["Gone shoe", "Off shoe"]
        not_deleted = gql(PRODUCTS, {"filters": {"isDeleted": False}}, user=staff)
        assert sorted(names(not_deleted)) == ["Off shoe", "Runner", "Secret"]

    def test_is_active_filter_cannot_widen_the_public_view(self, gql, catalog):
        assert names(gql(PRODUCTS, {"filters": {"isActive": False}})) == []

    def test_product_by_slug(self, gql, catalog, customer, staff):
        assert gql(PRODUCT, {"slug": "runner"})["product"]["category"]["slug"] == "shoes"
        for slug in ("off-shoe", "gone-shoe", "secret", "nope"):
            assert gql(PRODUCT, {"slug": slug})["product"] is None
            assert gql(PRODUCT, {"slug": slug}, user=customer)["product"] is None
        assert gql(PRODUCT, {"slug": "gone-shoe"}, user=staff)["product"]["deletedAt"] is not None
        assert gql(PRODUCT, {"slug": "secret"}, user=staff)["product"]["name"] == "Secret"

    def test_categories(self, gql, catalog, staff):
        public = gql(CATEGORIES)["categories"]
        assert [edge["node"]["slug"] for edge in public["edges"]] == ["shoes"]
        every = gql(CATEGORIES, user=staff)["categories"]
        assert [edge["node"]["slug"] for edge in every["edges"]] == ["hidden", "shoes"]
        inactive = gql(CATEGORIES, {"filters": {"isActive": False}}, user=staff)["categories"]
        assert [edge["node"]["slug"] for edge in inactive["edges"]] == ["hidden"]

    def test_category_by_slug(self, gql, catalog, staff):
        assert gql(CATEGORY, {"slug": "shoes"})["category"]["name"] == "Shoes"
        assert gql(CATEGORY, {"slug": "hidden"})["category"] is None
        assert gql(CATEGORY, {"slug": "hidden"}, user=staff)["category"]["isActive"] is False


@pytest.mark.django_db
class TestFiltersAndOrdering:
    @pytest.fixture
    def products(self):
        books = make_category("Books", slug="books")
        games = make_category("Games", slug="games")
        now = timezone.now()
        rows = [
            ("Blue novel", books, "12.50", 3, "a calm read"),
            ("Red novel", books, "8.00", 0, "thrilling"),
            ("Chess", games, "30.00", 5, "a blue board"),
            ("Dice", games, "2.00", 100, "six sides"),
        ]
        for age, (name, category, price, stock, description) in enumerate(rows):
            product = make_product(name, category=category, price=price, stock=stock, description=description)
            Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=age))

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({"search": "BLUE"}, {"Blue novel", "Chess"}),
            ({"category": "books"}, {"Blue novel", "Red novel"}),
            ({"minPrice": "8.00"}, {"Blue novel", "Red novel", "Chess"}),
            ({"maxPrice": "12.50"}, {"Blue novel", "Red novel", "Dice"}),
            ({"minPrice": "5", "maxPrice": "20"}, {"Blue novel", "Red novel"}),
            ({"inStock": True}, {"Blue novel", "Chess", "Dice"}),
            ({"inStock": False}, {"Red novel"}),
            ({"category": "games", "search": "dice"}, {"Dice"}),
            ({"category": "nope"}, set()),
        ],
    )
    def test_filters(self, gql, products, filters, expected):
        data = gql(PRODUCTS, {"filters": filters})
        assert set(names(data)) == expected
        assert data["products"]["totalCount"] == len(expected)

    @pytest.mark.parametrize(
        ("ordering", "expected"),
        [
            ([], ["Blue novel", "Red novel", "Chess", "Dice"]),
            ([{"price": "ASC"}], ["Dice", "Red novel", "Blue novel", "Chess"]),
            ([{"price": "DESC"}], ["Chess", "Blue novel", "Red novel", "Dice"]),
            ([{"name": "ASC"}], ["Blue novel", "Chess", "Dice", "Red novel"]),
            ([{"createdAt": "ASC"}], ["Dice", "Chess", "Red novel", "Blue novel"]),
        ],
    )
    def test_ordering(self, gql, products, ordering, expected):
        assert names(gql(PRODUCTS, {"ordering": ordering})) == expected

    def test_fields(self, gql, products):
        node = gql(PRODUCTS, {"filters": {"search": "dice"}})["products"]["edges"][0]["node"]
        assert node["price"] == "2.00"
        assert node["currency"] == "USD"
        assert node["stockQuantity"] == 100
        assert node["inStock"] is True
        assert node["category"] == {"name": "Games", "slug": "games"}

    def test_page_size_is_capped(self, client, products, settings):
        response = client.post(
            "/graphql/",
            {"query": "{ products(first: 100000) { totalCount } }"},
            content_type="application/json",
        )
        body = response.json()
        assert body["errors"][0]["message"] == "Argument 'first' cannot be higher than 100."
        assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGINATION"


@pytest.mark.django_db
class TestQueryCounts:
    @pytest.mark.parametrize("size", [2, 40])
    def test_products_with_category_and_images(self, gql, django_assert_num_queries, size):
        categories = [make_category() for _ in range(3)]
        for n in range(size):
            make_product(category=categories[n % 3], images=2)
        # products with their category (and the total, in a window) + images
        with django_assert_num_queries(2):
            data = gql(PRODUCTS, {"first": 50})
        assert len(data["products"]["edges"]) == size
        assert all(len(edge["node"]["images"]) == 2 for edge in data["products"]["edges"])

    @pytest.mark.parametrize("size", [2, 40])
    def test_categories(self, gql, django_assert_num_queries, size):
        for _ in range(size):
            make_category()
        with django_assert_num_queries(1):  # the count comes in a window
            data = gql(CATEGORIES)
        assert data["categories"]["totalCount"] == size

    @pytest.mark.parametrize("size", [2, 40])
    def test_staff_products(self, gql, django_assert_num_queries, staff, size):
        for _ in range(size):
            make_product(images=1)
        token_user = staff
        with django_assert_num_queries(2 + 2):  # + authenticating the staff token
            data = gql(PRODUCTS, {"first": 50}, user=token_user)
        assert data["products"]["totalCount"] == size
