"""The wishlist: adding twice is harmless, products off sale drop out, users are separate."""

import pytest

from commerce.models import WishlistItem
from tests.conftest import codes
from tests.factories import gid, make_product

WISHLIST = "{ wishlist { id addedAt product { slug } } }"
ADD = """
mutation ($productId: ID!) {
  addToWishlist(productId: $productId) {
    ... on WishlistPayload { wishlist { product { slug } } }
    ... on OperationInfo { messages { code } }
  }
}
"""
REMOVE = """
mutation ($productId: ID!) {
  removeFromWishlist(productId: $productId) {
    ... on WishlistPayload { wishlist { product { slug } } }
    ... on OperationInfo { messages { code } }
  }
}
"""


def slugs(items: list[dict]) -> list[str]:
    return [item["product"]["slug"] for item in items]


@pytest.mark.django_db
class TestWishlist:
    def test_add_twice_is_harmless(self, gql, customer):
        product = make_product(slug="lamp")
        for _ in range(2):
            data = gql(ADD, {"productId": gid("Product", product.pk)}, user=customer)
            assert slugs(data["addToWishlist"]["wishlist"]) == ["lamp"]
        assert WishlistItem.objects.count() == 1
        assert slugs(gql(WISHLIST, user=customer)["wishlist"]) == ["lamp"]

    def test_remove_and_remove_again(self, gql, customer):
        lamp, mug = make_product(slug="lamp"), make_product(slug="mug")
        gql(ADD, {"productId": gid("Product", lamp.pk)}, user=customer)
        gql(ADD, {"productId": gid("Product", mug.pk)}, user=customer)
        assert slugs(gql(WISHLIST, user=customer)["wishlist"]) == ["mug", "lamp"]
        for _ in range(2):
            data = gql(REMOVE, {"productId": gid("Product", lamp.pk)}, user=customer)
            assert slugs(data["removeFromWishlist"]["wishlist"]) == ["mug"]

    def test_products_not_on_sale_are_not_found_or_hidden(self, gql, customer):
        hidden = make_product(active=False)
        data = gql(ADD, {"productId": gid("Product", hidden.pk)}, user=customer)
        assert codes(data["addToWishlist"]) == ["NOT_FOUND"]
        product = make_product(slug="lamp")
        gql(ADD, {"productId": gid("Product", product.pk)}, user=customer)
        type(product).objects.filter(pk=product.pk).update(is_active=False)
        assert gql(WISHLIST, user=customer)["wishlist"] == []

    def test_users_are_separate_and_anonymous_is_refused(self, gql, customer, make_user):
        product = make_product()
        gql(ADD, {"productId": gid("Product", product.pk)}, user=make_user())
        assert gql(WISHLIST, user=customer)["wishlist"] == []
        gql(REMOVE, {"productId": gid("Product", product.pk)}, user=customer)
        assert WishlistItem.objects.count() == 1
        assert gql(WISHLIST)["wishlist"] == []
        assert codes(gql(ADD, {"productId": gid("Product", product.pk)})["addToWishlist"]) == ["UNAUTHENTICATED"]
        assert WishlistItem.objects.count() == 1
