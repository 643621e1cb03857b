"""Caching of catalog reads and carts: hits, invalidation on every write, per-user keys, Redis outage."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from commerce.cart.services import cart_cache_invalidate
from commerce.models import CartLine
from tests.factories import gid, make_product

CART = "{ cart { itemCount subtotal lines { quantity unitPrice product { slug price } } } }"
PRODUCT = "query ($slug: String!) { product(slug: $slug) { price stockQuantity category { name } images { url } } }"
ADD = """
mutation ($productId: ID!, $quantity: Int) {
  addToCart(productId: $productId, quantity: $quantity) { ... on CartPayload { cart { itemCount } } }
}
"""
UPDATE_PRODUCT = """
mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { ... on ProductPayload { product { price } } }
}
"""
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
    }
}


@pytest.fixture
def lamp(db):
    return make_product("Lamp", slug="lamp", price="10.00", stock=20, images=1)


@pytest.mark.django_db
class TestCache:
    def test_product_read_is_cached_and_invalidated_by_a_write(self, gql, staff, lamp, django_assert_num_queries):
        assert gql(PRODUCT, {"slug": "lamp"})["product"]["price"] == "10.00"
        with django_assert_num_queries(0):
            assert gql(PRODUCT, {"slug": "lamp"})["product"]["category"]["name"]
        gql(UPDATE_PRODUCT, {"id": gid("Product", lamp.pk), "input": {"price": "12.00"}}, user=staff)
        assert gql(PRODUCT, {"slug": "lamp"})["product"]["price"] == "12.00"

    def test_cart_is_cached_per_user(self, gql, customer, make_user, lamp, django_assert_num_queries):
        other = make_user()
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 5}, user=other)
        assert gql(CART, user=customer)["cart"]["itemCount"] == 2
        assert gql(CART, user=other)["cart"]["itemCount"] == 5
        with django_assert_num_queries(2):  # only authenticating the token
            assert gql(CART, user=customer)["cart"]["itemCount"] == 2
        assert gql(CART, user=other)["cart"]["itemCount"] == 5

    def test_price_change_shows_in_the_next_cart_read(self, gql, customer, staff, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 3}, user=customer)
        assert gql(CART, user=customer)["cart"]["subtotal"] == "30.00"
        gql(UPDATE_PRODUCT, {"id": gid("Product", lamp.pk), "input": {"price": "11.50"}}, user=staff)
        cart = gql(CART, user=customer)["cart"]
        assert cart["subtotal"] == "34.50"
        assert cart["lines"][0]["unitPrice"] == "11.50"

    def test_cart_edit_shows_in_the_next_read(self, gql, customer, lamp):
        gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)
        assert gql(CART, user=customer)["cart"]["itemCount"] == 1
        gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)
        assert gql(CART, user=customer)["cart"]["itemCount"] == 2

    def test_cart_cache_invalidate_for_checkout(self, gql, customer, lamp, django_capture_on_commit_callbacks):
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        assert gql(CART, user=customer)["cart"]["itemCount"] == 2
        # What checkout does: clear the lines through the models, then invalidate on commit.
        with django_capture_on_commit_callbacks(execute=True):
            CartLine.objects.filter(cart__user=customer).delete()
            cart_cache_invalidate(customer.pk)
        assert gql(CART, user=customer)["cart"]["itemCount"] == 0

    @override_settings(CACHES=DEAD_REDIS)
    def test_everything_works_with_redis_down(self, gql, customer, staff, lamp):
        cache.set("probe", 1)
        assert cache.get("probe") is None  # the cache really is unreachable
        assert gql(PRODUCT, {"slug": "lamp"})["product"]["price"] == "10.00"
        gql(ADD, {"productId": gid("Product", lamp.pk), "quantity": 2}, user=customer)
        assert gql(CART, user=customer)["cart"]["subtotal"] == "20.00"
        gql(UPDATE_PRODUCT, {"id": gid("Product", lamp.pk), "input": {"price": "11.00"}}, user=staff)
        assert gql(PRODUCT, {"slug": "lamp"})["product"]["price"] == "11.00"
        assert gql(CART, user=customer)["cart"]["subtotal"] == "22.00"


@pytest.mark.django_db
class TestQueryCounts:
    @pytest.mark.parametrize("size", [2, 40])
    def test_cart(self, gql, customer, django_assert_num_queries, size):
        for _ in range(size):
            product = make_product(images=2)
            gql(ADD, {"productId": gid("Product", product.pk)}, user=customer)
        # token (2) + cart, lines with products and categories, images
        with django_assert_num_queries(5):
            cart = gql(CART.replace("slug price", "slug price images { url } category { name }"), user=customer)
        assert cart["cart"]["itemCount"] == size

    @pytest.mark.parametrize("size", [2, 40])
    def test_wishlist(self, gql, customer, django_assert_num_queries, size):
        add = "mutation ($p: ID!) { addToWishlist(productId: $p) { __typename } }"
        for _ in range(size):
            gql(add, {"p": gid("Product", make_product(images=1).pk)}, user=customer)
        query = "{ wishlist { id addedAt product { slug images { url } category { name } } } }"
        # token (2) + items with products and categories + images
        with django_assert_num_queries(4):
            data = gql(query, user=customer)
        assert len(data["wishlist"]) == size
