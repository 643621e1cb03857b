"""The typed context every resolver receives, over HTTP and websockets."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import strawberry
from channels.layers import BaseChannelLayer
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from accounts.errors import InvalidToken
from accounts.models import User
from accounts.principal import Principal
from commerce.cart.guests import CartOwner, Guest, guest_for_token
from commerce.errors import InvalidCartToken
from partners.models import App


@dataclass
class Context:
    request: HttpRequest | Any
    response: HttpResponse | None
    user: User | AnonymousUser = field(default_factory=AnonymousUser)
    # A partner app calling with `Authorization: App <token>`; `user` is then anonymous.
    app: App | None = None
    # HTTP: why the access token sent with the request does not authenticate.
    token_error: InvalidToken | None = None
    # Websocket connections only: the `connection_init` payload.
    connection_params: dict | None = None
    # HTTP: the `X-Cart-Token` header of a guest (ignored once someone is logged in).
    cart_token: str | None = None

    @property
    def is_websocket(self) -> bool:
        return self.response is None

    @property
    def channel_layer(self) -> BaseChannelLayer:
        """A websocket's channel layer, which its subscriptions listen to."""
        layer = getattr(self.request, "channel_layer", None)
        assert layer is not None, "subscriptions run over websockets, whose consumer has the channel layer"
        return layer

    @property
    def signed_in_user(self) -> User:
        """The user of a resolver behind `IsAuthenticated` or a staff-only `Allowed` rule."""
        assert isinstance(self.user, User), "the resolver's permissions let an anonymous caller through"
        return self.user

    @property
    def viewer(self) -> User | AnonymousUser | App:
        """Whom reads are scoped to: the partner app calling, else the user."""
        return self.app or self.user

    @cached_property
    def guest(self) -> Guest | None:
        """The guest whose cart `X-Cart-Token` opens, when nobody is logged in (looked up once)."""
        if self.app is not None or self.user.is_authenticated or not self.cart_token:
            return None
        return guest_for_token(self.cart_token)

    @cached_property
    def principal(self) -> Principal:
        """Who is calling, built once per request (a websocket connection sets
        it when `connection_init` authenticates): what services, selectors and
        the policies take."""
        if self.app is not None:
            return Principal.for_app(self.app)
        if self.guest is not None:
            return Principal.for_guest(self.guest)
        return Principal.for_user(self.user)

    def cart_owner(self) -> CartOwner:
        """Whose cart a cart operation (behind `IsCustomerOrGuest`) is on: the
        logged-in user, whose own cart it always is (a cart token sent along is
        ignored), else the guest of `X-Cart-Token` (INVALID_CART_TOKEN when it
        opens no cart)."""
        if isinstance(self.user, User):
            return self.user
        if self.guest is None:
            raise InvalidCartToken()
        return self.guest


Info = strawberry.Info[Context, None]
