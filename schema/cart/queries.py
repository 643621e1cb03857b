import strawberry
import strawberry_django

from commerce.cart import selectors, services
from schema.context import Info
from schema.permissions import IsAuthenticated

from .types import CartType, WishlistItemType


@strawberry.type
class CartQueries:
    @strawberry_django.field(
        description="Your cart (created on first use); null when not logged in.", extensions=[IsAuthenticated()]
    )
    def cart(self, info: Info) -> CartType | None:
        user = info.context.user
        cart = selectors.cart_load(user_id=user.pk)
        if cart is None:
            services.cart_get_or_create(user=user)
            cart = selectors.cart_load(user_id=user.pk)
        return cart

    @strawberry_django.field(
        description="Your wishlist, newest first (products no longer on sale are left out); empty when not logged in.",
        extensions=[IsAuthenticated()],
    )
    def wishlist(self, info: Info) -> list[WishlistItemType]:
        return selectors.wishlist_items(user=info.context.user)
