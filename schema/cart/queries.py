from collections.abc import Iterable

import strawberry
import strawberry_django

from accounts.models import User
from commerce.cart import selectors, services
from commerce.models import Cart, WishlistItem
from schema.context import Info
from schema.permissions import IsAuthenticated, IsCustomerOrGuest

from .types import CartType, WishlistItemType


@strawberry.type
class CartQueries:
    @strawberry_django.field(
        graphql_type=CartType | None,
        description="Your cart (created on first use), or a guest's with `X-Cart-Token`; null when not logged in "
        "and for a token that opens no cart.",
        extensions=[IsCustomerOrGuest()],
    )
    def cart(self, info: Info) -> Cart | None:
        context = info.context
        owner = context.user if isinstance(context.user, User) else context.guest
        if owner is None:
            return None
        cart = selectors.cart_load(owner=owner)
        if cart is None:
            services.cart_get_or_create(owner=owner)
            cart = selectors.cart_load(owner=owner)
        return cart

    @strawberry_django.field(
        graphql_type=list[WishlistItemType],
        description="Your wishlist, newest first (products no longer on sale are left out); empty when not logged in.",
        extensions=[IsAuthenticated()],
    )
    def wishlist(self, info: Info) -> Iterable[WishlistItem]:
        return selectors.wishlist_items(user=info.context.user)
